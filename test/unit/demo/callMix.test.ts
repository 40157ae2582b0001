import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { GROUPS, PHONES } from "../../../demo/callCentre.ts";
import { SCENARIO_WEIGHTS, generateCallMix, type Directory } from "../../../demo/callMix.ts";

const seed = JSON.parse(readFileSync("emulator/seeds/callcentre.json", "utf8")) as {
  users: { ID: number; UF_PHONE_INNER?: string }[];
};
const directory: Directory = Object.fromEntries(
  seed.users.filter((u) => u.UF_PHONE_INNER).map((u) => [u.UF_PHONE_INNER!, u.ID]),
);

describe("generateCallMix", () => {
  it("given the same seed, then the same calls; another seed, another mix", () => {
    const a = generateCallMix(60, { seed: 7, directory });
    assert.deepEqual(a, generateCallMix(60, { seed: 7, directory }));
    assert.notDeepEqual(
      a.map((c) => c.scenario),
      generateCallMix(60, { seed: 8, directory }).map((c) => c.scenario),
    );
  });

  it("given 14+ calls, then the first ones cover every scenario once", () => {
    const names = Object.keys(SCENARIO_WEIGHTS);
    const calls = generateCallMix(names.length, { seed: 1, directory });
    assert.deepEqual(new Set(calls.map((c) => c.scenario)), new Set(names));
  });

  it("gives every call a unique client number and only extensions the call centre has phones for", () => {
    const calls = generateCallMix(500, { seed: 3, directory });
    assert.equal(new Set(calls.map((c) => c.clientNumber.replace(/\D/g, "").slice(-10))).size, calls.length);
    for (const c of calls) for (const e of c.extensions) assert.ok(PHONES[e], `no phone for ${e}`);
  });

  it("expects the seed's user ids: 102 is user 3, Support goes to the default user", () => {
    const calls = generateCallMix(200, { seed: 5, directory });
    const sales = calls.find((c) => c.scenario === "ringallAnswered")!;
    assert.deepEqual(sales.expect.userIds, [directory["101"], directory["102"], directory["103"]]);
    assert.equal(directory["102"], 3);
    assert.deepEqual(calls.find((c) => c.scenario === "supportLine")!.expect.userIds, [1]);
    const busy = calls.find((c) => c.scenario === "outboundBusy")!;
    assert.equal(busy.expect.statusCode, "486");
    assert.equal(busy.direction, "outbound");
    assert.match(busy.clientNumber, /^8\d{10}$/);
    const abandoned = calls.find((c) => c.scenario === "callerAbandons")!;
    assert.equal(abandoned.expect.statusCode, "304");
    assert.equal(abandoned.hangupAfterRingMs, 3000);
  });

  it("locks every member of the group an inbound call rings", () => {
    for (const c of generateCallMix(100, { seed: 9, directory }).filter((x) => x.direction === "inbound")) {
      const group = Object.values(GROUPS).find((g) => g.members.every((m) => c.extensions.includes(m)));
      assert.ok(group, `call ${c.seq} (${c.scenario}) does not lock its group`);
    }
  });

  it("given excluded scenarios, then they never appear", () => {
    const calls = generateCallMix(100, { seed: 2, directory, exclude: ["ivrExtension", "ivrMissed"] });
    assert.ok(calls.every((c) => !c.scenario.startsWith("ivr")));
  });
});
