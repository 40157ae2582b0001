import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallDecisions } from "../../../core/hooks/callDecisions.ts";
import { directoryForCall, type InnerNumberDirectory } from "../../../core/hooks/userNumbers.ts";
import { directory } from "../calls/callEvents.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf, customization, runnerWith, testConfig } from "./support.ts";

function decisionsOf(
  events = scenario.blindTransfer("301"),
  customizations = [] as Parameters<typeof runnerWith>[0],
) {
  const { runner, lines } = runnerWith(customizations);
  const call = callOf(events);
  const config = testConfig({ crm: { defaultUserId: 50 } });
  const decisions = new CallDecisions({ runner, call, directory, config, cardModeFor: () => "ring" });
  return { decisions, runner, lines, call };
}

describe("CallDecisions", () => {
  it("without customizations gives exactly the pure decisions", async () => {
    const { decisions } = decisionsOf();
    assert.equal(await decisions.shouldProcess(), true);
    assert.equal(await decisions.clientNumber(), "+74951234567");
    assert.equal(await decisions.line(), "74950000000");
    assert.deepEqual(await decisions.registerUser(), { userId: 1, reason: "dialled" });
    assert.deepEqual(await decisions.responsible(), { userId: 1, reason: "answered" });
    assert.equal(await decisions.talkDuration(), 120);
    assert.equal(await decisions.statusCode(), "200");
    assert.deepEqual(await decisions.cardAudience(), []);
  });

  it("runs each point once per round however often the planner asks", async () => {
    let runs = 0;
    const { decisions } = decisionsOf(undefined, [
      customization("count", {
        talkDuration: () => {
          runs++;
          return undefined;
        },
      }),
    ]);
    await Promise.all([decisions.talkDuration(), decisions.talkDuration()]);
    await decisions.talkDuration();
    assert.equal(runs, 1);
  });

  it("gives statusCode the outcome as input", async () => {
    let outcome: string | undefined;
    const { decisions } = decisionsOf(scenario.missedNobodyAnswered(), [
      customization("see", {
        statusCode: (ctx) => {
          outcome = ctx.input.outcome;
        },
      }),
    ]);
    assert.equal(await decisions.statusCode(), "304");
    assert.equal(outcome, "missed");
  });
});

describe("directoryForCall (normalizeUserNumber)", () => {
  const base: InnerNumberDirectory = {
    innerNumberOf: (ext) => ext.replace(/^123/, ""),
    userIdByInnerNumber: (inner) => ({ "0101": 1, "0103": 3 })[inner],
    userIdByExtension: (ext) => base.userIdByInnerNumber(base.innerNumberOf(ext)),
  };

  it("without customizations is the directory itself", async () => {
    const { runner } = runnerWith([]);
    const call = callOf(scenario.inboundAnswered());
    assert.equal(await directoryForCall(runner, call, base), base);
  });

  it("puts each extension of the call through the point once and looks the result up", async () => {
    const seen: string[] = [];
    const { runner } = runnerWith([
      customization("map", {
        normalizeUserNumber: (ctx) => {
          seen.push(`${ctx.input.number}->${ctx.value}`);
          return ctx.input.number === "101" ? "0103" : undefined;
        },
      }),
    ]);
    const call = callOf(scenario.blindTransfer("1230101"));
    const users = await directoryForCall(runner, call, base);
    assert.equal(users.userIdByExtension("101"), 3);
    assert.equal(users.userIdByExtension("1230101"), 1);
    assert.deepEqual(seen.sort(), ["101->101", "1230101->0101"]);
  });
});
