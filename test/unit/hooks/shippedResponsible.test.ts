import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallDecisions } from "../../../core/hooks/callDecisions.ts";
import { directory } from "../calls/callEvents.ts";
import * as scenario from "../calls/scenarios.ts";
import { throughSupportAndBack, toCrmSupportUser } from "./scenarios.ts";
import { callOf, shippedRunner } from "./support.ts";

async function responsible(
  events: Parameters<typeof callOf>[0],
  options: Record<string, unknown>,
  config = {},
) {
  const shipped = { responsibleBeforeSupport: { options } };
  const { runner, lines, config: cfg } = await shippedRunner(shipped, config);
  const call = callOf(events);
  const decisions = new CallDecisions({ runner, call, directory, config: cfg, cardModeFor: () => "ring" });
  return { value: await decisions.responsible(), lines };
}

describe("shipped responsibleBeforeSupport", () => {
  it("101 → Support 301 → 102: the last CRM manager before Support (1), where the connector alone says 102", async () => {
    const { value } = await responsible(throughSupportAndBack(), {});
    assert.deepEqual(value, { userId: 1, reason: "lastBeforeSupport" });
    const plain = await responsible(throughSupportAndBack(), { policy: "lastAnswered" });
    assert.deepEqual(plain.value, { userId: 2, reason: "lastAnswered" });
  });

  it("Support staff who are CRM users (105 in support.extensions) never get the call", async () => {
    const { value } = await responsible(toCrmSupportUser(), { support: { extensions: ["105"] } });
    assert.deepEqual(value, { userId: 1, reason: "lastBeforeSupport" });
    const unconfigured = await responsible(toCrmSupportUser(), {});
    assert.deepEqual(
      unconfigured.value,
      { userId: 5, reason: "lastBeforeSupport" },
      "105 is sales without the option",
    );
  });

  it("support.groups take the members of routing.groups", async () => {
    const config = { routing: { groups: { support: { members: ["105", "106"] } } } };
    const { value } = await responsible(toCrmSupportUser(), { support: { groups: ["support"] } }, config);
    assert.deepEqual(value, { userId: 1, reason: "lastBeforeSupport" });
  });

  it("firstAnswered and longestTalk policies", async () => {
    const first = await responsible(throughSupportAndBack(), { policy: "firstAnswered" });
    assert.deepEqual(first.value, { userId: 1, reason: "firstAnswered" });
    const longest = await responsible(throughSupportAndBack(), { policy: "longestTalk" });
    assert.deepEqual(longest.value, { userId: 2, reason: "longestTalk" }, "102 talked 90 s, 101 60 s");
  });

  it("nobody before Support answered: the connector's own choice stands", async () => {
    const { value } = await responsible(scenario.missedNobodyAnswered(), {});
    assert.deepEqual(value, { userId: 2, reason: "rung" });
  });

  it("warns at load about support groups that do not exist", async () => {
    const { lines } = await shippedRunner({
      responsibleBeforeSupport: { options: { support: { groups: ["suport"] } } },
    });
    assert.ok(lines.some((l) => /not in routing.groups/.test(l.msg) && String(l.groups) === "suport"));
  });
});
