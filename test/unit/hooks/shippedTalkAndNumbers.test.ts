import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallDecisions } from "../../../core/hooks/callDecisions.ts";
import { directoryForCall, type InnerNumberDirectory } from "../../../core/hooks/userNumbers.ts";
import { directory, ev } from "../calls/callEvents.ts";
import * as scenario from "../calls/scenarios.ts";
import { throughSupportAndBack } from "./scenarios.ts";
import { callOf, shippedRunner } from "./support.ts";

describe("shipped talkWithoutSupport", () => {
  async function duration(
    events: Parameters<typeof callOf>[0],
    options: Record<string, unknown>,
    config = {},
  ) {
    const { runner, config: cfg } = await shippedRunner({ talkWithoutSupport: { options } }, config);
    const call = callOf(events);
    return new CallDecisions({
      runner,
      call,
      directory,
      config: cfg,
      cardModeFor: () => "ring",
    }).talkDuration();
  }

  it("leaves the Support legs out (60 s + 90 s of 180 s)", async () => {
    assert.equal(await duration(throughSupportAndBack(), {}), 180, "nothing excluded: the connector's sum");
    assert.equal(await duration(throughSupportAndBack(), { exclude: { extensions: ["301"] } }), 150);
  });

  it("excludes the members of groups, or every non-CRM extension", async () => {
    const config = { routing: { groups: { support: { members: ["301", "302"] } } } };
    assert.equal(await duration(throughSupportAndBack(), { exclude: { groups: ["support"] } }, config), 150);
    assert.equal(await duration(scenario.blindTransfer("301"), { excludeNonCrm: true }), 60);
  });
});

describe("shipped innerNumbers", () => {
  const numbers = { userRewrite: [{ pattern: "^123(\\d{4})$", replacement: "$1" }] };
  const routing = { operators: ["1230101", "1230102", "45678"] };
  const base: InnerNumberDirectory = {
    innerNumberOf: (ext) => ext.replace(/^123(\d{4})$/, "$1"),
    userIdByInnerNumber: (inner) => ({ "0101": 1, "0102": 2, "0105": 5 })[inner],
    userIdByExtension: (ext) => base.userIdByInnerNumber(base.innerNumberOf(ext)),
  };

  it("warns at load about operators whose inner number falls outside 1..9999", async () => {
    const { lines } = await shippedRunner({ innerNumbers: {} }, { numbers, routing });
    const warning = lines.find((l) => /outside 1\.\.9999/.test(l.msg));
    assert.deepEqual(warning?.extensions, ["45678 → 45678"]);
  });

  it("applies its own toCrm rules to every extension of the call, and warns once at run time", async () => {
    const toCrm = [{ pattern: "^77(\\d{3})$", replacement: "0$1" }];
    const { runner, lines } = await shippedRunner({ innerNumbers: { options: { toCrm } } }, { numbers });
    const call = callOf([
      ev.inbound(0),
      ev.dial(0, "77105"),
      ev.dial(0, "99999"),
      ev.answer(3, "77105"),
      ev.talk(3, "77105"),
      ev.hangup(9),
    ]);
    const users = await directoryForCall(runner, call, base);
    assert.equal(users.userIdByExtension("77105"), 5);
    await directoryForCall(runner, call, base);
    const warnings = lines.filter((l) => l.msg === "CRM inner number outside 1..9999");
    assert.deepEqual(
      warnings.map((l) => l.extension),
      ["99999"],
    );
  });

  it("fromCrm (click-to-call) and the dialled client number", async () => {
    const options = {
      fromCrm: [{ pattern: "^(\\d{4})$", replacement: "123$1" }],
      clientDial: [{ pattern: "^\\+7", replacement: "8" }],
    };
    const { runner } = await shippedRunner({ innerNumbers: { options } }, { numbers });
    const call = callOf(scenario.outboundAnswered());
    const input = { number: "0101", direction: "fromCrm" as const };
    assert.equal(await runner.run("normalizeUserNumber", { call, input, value: "0101" }), "1230101");
    const dial = { raw: "84951234567", purpose: "dial" as const };
    assert.equal(
      await runner.run("normalizeClientNumber", { call, input: dial, value: "+74951234567" }),
      "84951234567",
    );
    const crm = { raw: "84951234567", purpose: "register" as const };
    assert.equal(
      await runner.run("normalizeClientNumber", { call, input: crm, value: "+74951234567" }),
      "+74951234567",
    );
  });
});
