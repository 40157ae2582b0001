import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HookSystem } from "../../../core/hooks/hookSystem.ts";
import { FolderLoader } from "../../../core/hooks/loader/folderLoader.ts";
import { typeCheckInChild } from "../../../core/hooks/loader/typeCheckProcess.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf, capturingLogger, sleep, testConfig } from "./support.ts";

const call = callOf(scenario.inboundAnswered());

const GOOD = `
import type { Customization } from "itgrix/hooks";
import { double } from "./lib/double.ts";
interface Options { extra: number }
export default {
  description: "doubles the talk time, plus extra",
  parseOptions: (raw) => ({ extra: typeof raw.extra === "number" ? raw.extra : 0 }),
  hooks: { talkDuration: (ctx) => double(ctx.value) + ctx.options.extra },
} satisfies Customization<Options>;
`;
const HELPER = `export const double = (n: number): number => n * 2;\n`;
const PLAIN = `
globalThis.__plainRuns = (globalThis.__plainRuns ?? 0) + 1;
export default { hooks: { statusCode: (ctx) => (ctx.input.outcome === "answered" ? "200" : undefined) } };
`;

let folder: string;

async function write(name: string, text: string): Promise<void> {
  await writeFile(join(folder, name), text);
}

function loader(extra: Partial<ConstructorParameters<typeof FolderLoader>[0]> = {}) {
  const { logger, lines } = capturingLogger();
  const config = testConfig();
  const folderLoader = new FolderLoader({
    folder,
    options: { good: { extra: 1 } },
    config,
    logger,
    reservedNames: new Set(["innerNumbers"]),
    ...extra,
  });
  return { folderLoader, lines };
}

async function talk(folderLoader: FolderLoader): Promise<number | undefined> {
  const good = folderLoader.customizations.find((c) => c.name === "good");
  const hook = good?.hooks.talkDuration as ((ctx: unknown) => number) | undefined;
  return hook?.({ value: 60, options: good!.options });
}

describe("FolderLoader", () => {
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), "itgrix-hooks-test-"));
    await mkdir(join(folder, "lib"));
    await write("lib/double.ts", HELPER);
    await write("good.ts", GOOD);
    await write("plain.mjs", PLAIN);
    await write("broken.ts", "export default { hooks: { talkDuration: (ctx) => { return ctx.value * } } };");
    await write("typo.js", "export default { hooks: { talkDuraton: () => 1 } };");
    await write(
      "badopts.mjs",
      'export default { parseOptions() { throw new Error("limit must be a number"); }, hooks: {} };',
    );
    await write("innerNumbers.js", "export default { hooks: {} };");
    await write("_shared.ts", "export const ignored = true;");
    await write("notes.d.ts", "export {};");
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("loads TypeScript and JavaScript modules (with their helpers), refuses the bad ones with reasons", async () => {
    const { folderLoader, lines } = loader();
    const report = await folderLoader.load();
    assert.deepEqual(report.loaded.sort(), ["good", "plain"]);
    assert.equal(await talk(folderLoader), 121, "the helper was bundled and the options parsed");
    const reasons = Object.fromEntries(report.failed.map((f) => [f.name, f.error]));
    assert.deepEqual(Object.keys(reasons).sort(), ["badopts", "broken", "innerNumbers", "typo"]);
    assert.match(reasons.broken!, /does not build: .*broken\.ts:1:/);
    assert.match(reasons.typo!, /unknown hook point "talkDuraton" \(did you mean "talkDuration"\?\)/);
    assert.match(reasons.badopts!, /hooks\.options\.badopts: limit must be a number/);
    assert.match(reasons.innerNumbers!, /taken by a shipped customization/);
    const refused = lines.filter((l) => l.msg.startsWith("customization module refused"));
    assert.equal(refused.length, 4);
  });

  it("keeps the previous version when an edit breaks a module, takes the fixed one, drops a removed one", async () => {
    const { folderLoader, lines } = loader();
    await folderLoader.load();
    const runsBefore = (globalThis as { __plainRuns?: number }).__plainRuns;
    await write("good.ts", GOOD.replace("double(ctx.value)", "double(ctx.value"));
    const broken = await folderLoader.load();
    assert.deepEqual(broken.failed.find((f) => f.name === "good")?.kept, true);
    assert.equal(await talk(folderLoader), 121, "the previous version still runs");
    assert.ok(lines.some((l) => l.customization === "good" && /previous version stays/.test(l.msg)));
    assert.deepEqual(broken.unchanged.sort(), ["plain"], "unchanged modules are not run again");
    assert.equal((globalThis as { __plainRuns?: number }).__plainRuns, runsBefore);

    await write("good.ts", GOOD.replace("double(ctx.value)", "double(ctx.value) * 10"));
    const fixed = await folderLoader.load();
    assert.deepEqual(fixed.loaded, ["good"]);
    assert.equal(await talk(folderLoader), 1201);

    await rm(join(folder, "plain.mjs"));
    const removed = await folderLoader.load();
    assert.deepEqual(removed.removed, ["plain"]);
    assert.deepEqual(
      folderLoader.customizations.map((c) => c.name),
      ["good"],
    );
    await write("good.ts", GOOD);
    await write("plain.mjs", PLAIN);
  });

  it(
    "refuses a module with type errors against the published API; a correct one loads",
    { timeout: 180_000 },
    async () => {
      await write(
        "typed.ts",
        `
import type { Customization } from "itgrix/hooks";
export default { hooks: { talkDuration: () => "sixty" } } satisfies Customization;
`,
      );
      const { folderLoader } = loader({ typeCheck: (files) => typeCheckInChild(files) });
      const report = await folderLoader.load();
      assert.equal(report.typeCheckSkipped, undefined);
      const typed = report.failed.find((f) => f.name === "typed");
      assert.match(typed?.error ?? "", /type errors: .*typed\.ts:3:\d+: TS2322/);
      assert.ok(report.loaded.includes("good"), "good.ts type-checks (options typed, helper imported)");
      await rm(join(folder, "typed.ts"));
    },
  );
});

describe("HookSystem", () => {
  it(
    "starts with shipped and folder customizations in order, and reloads on a change",
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "itgrix-hooks-watch-"));
      try {
        await writeFile(
          join(dir, "first.mjs"),
          "export default { hooks: { talkDuration: async (_ctx, next) => (await next()) + 1 } };",
        );
        const { logger } = capturingLogger();
        const config = testConfig({
          hooks: {
            folder: dir,
            typeCheck: false,
            reloadDebounceMs: 50,
            shipped: { talkWithoutSupport: { options: { exclude: { extensions: ["101"] } } } },
            order: ["first"],
          },
        });
        const system = await new HookSystem({ config, logger }).start();
        try {
          assert.deepEqual(
            system.status().customizations.map((c) => c.name),
            ["first", "talkWithoutSupport"],
          );
          // talkWithoutSupport (inner) leaves 101 out: 0; first (outer) adds 1.
          assert.equal(await system.runner.run("talkDuration", { call, input: {}, value: 60 }), 1);
          await writeFile(
            join(dir, "first.mjs"),
            "export default { hooks: { talkDuration: async (_ctx, next) => (await next()) + 2 } };",
          );
          let value = 0;
          for (let i = 0; i < 100 && value !== 2; i++) {
            await sleep(100);
            value = await system.runner.run("talkDuration", { call, input: {}, value: 60 });
          }
          assert.equal(value, 2, "the edited module is in use without a restart");
        } finally {
          system.stop();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
