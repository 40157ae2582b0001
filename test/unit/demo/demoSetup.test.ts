import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { parseDemoArgs } from "../../../demo/args.ts";
import type { PlannedCall } from "../../../demo/callMix.ts";
import { buildDemoConfig } from "../../../demo/demoConfig.ts";
import { resourcesOf, runCalls } from "../../../demo/runner.ts";

describe("buildDemoConfig", () => {
  it("produces a configuration the app accepts, with recording on and webhook auth against the emulator", () => {
    const raw = buildDemoConfig({
      ari: { url: "http://127.0.0.1:18088", user: "itgrix", password: "itgrix", app: "itgrix" },
      redisUrl: "redis://127.0.0.1:16379",
      portalUrl: "http://127.0.0.1:18090",
      httpPort: 8077,
      recordingDir: "/tmp/rec",
      adminPassword: "pw-pw-pw",
    });
    const config = parseConfig(raw);
    assert.equal(config.recording.enabled, true);
    assert.deepEqual(config.bitrix.auth, {
      type: "webhook",
      webhookUrl: "http://127.0.0.1:18090/rest/1/demo-webhook-secret/",
    });
    assert.equal(config.routing.groups.service!.strategy, "sequential");
    assert.equal(config.routing.groups.orders!.strategy, "roundrobin");
    assert.ok(config.routing.dids["74950000006"]!.ivr);
    assert.ok(config.routing.operators.includes("301"));
  });
});

describe("parseDemoArgs", () => {
  it("reads --calls N --exit and defaults the rest", () => {
    const a = parseDemoArgs(["--calls", "20", "--exit"]);
    assert.equal(a.calls, 20);
    assert.equal(a.exit, true);
    assert.equal(a.httpPort, 8077);
    assert.equal(a.workers, 2);
  });
  it("refuses --exit without --calls and bad numbers", () => {
    assert.throws(() => parseDemoArgs(["--exit"]), /--calls/);
    assert.throws(() => parseDemoArgs(["--calls", "x"]), /integer/);
  });
});

describe("runCalls", () => {
  const call = (seq: number, extensions: string[], direction: "inbound" | "outbound" = "inbound") =>
    ({ seq, extensions, direction }) as unknown as PlannedCall;

  it("given calls sharing phones, then they never overlap, while others run alongside", async () => {
    const inUse = new Map<string, number>();
    let maxParallel = 0;
    let parallel = 0;
    const calls = [
      call(1, ["101", "102"]),
      call(2, ["102"]),
      call(3, ["110"]),
      call(4, ["113"], "outbound"),
      call(5, ["106"], "outbound"),
      call(6, ["101"]),
    ];
    const ended: number[] = [];
    const placed = await runCalls(calls, {
      concurrency: 3,
      spacingMs: 0,
      stopping: () => false,
      onEnded: (p) => ended.push(p.plan.seq),
      place: async (c) => {
        parallel++;
        maxParallel = Math.max(maxParallel, parallel);
        for (const r of resourcesOf(c)) {
          assert.ok(!inUse.get(r), `resource ${r} used twice`);
          inUse.set(r, 1);
        }
        await new Promise((r) => setTimeout(r, 5));
        for (const r of resourcesOf(c)) inUse.set(r, 0);
        parallel--;
        return { outcome: "answered", endedAt: Date.now() };
      },
    });
    assert.equal(placed.length, 6);
    assert.equal(ended.length, 6);
    assert.ok(maxParallel >= 2 && maxParallel <= 3, `max parallel ${maxParallel}`);
  });
});
