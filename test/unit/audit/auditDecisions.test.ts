import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareCall } from "../../../core/audit/compareCall.ts";
import type { CallEvent } from "../../../core/calls/types.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import type { RebuiltCall } from "../../../core/records/buildCall.ts";
import { expectedCallOf } from "../../../workers/audit/auditDecisions.ts";
import { directory } from "../calls/callEvents.ts";
import { throughSupportAndBack } from "../hooks/scenarios.ts";
import { callOf, customization, runnerWith, shippedRunner, testConfig } from "../hooks/support.ts";

/**
 * The audit decides a call's expected responsible user, status and talk time with the process's
 * customizations, exactly as delivery does — and sends nothing while doing it.
 */

const rebuilt = (events: CallEvent[]): RebuiltCall => ({
  state: callOf(events),
  events,
  complete: true,
  enteredStasis: true,
});
const options = { durationToleranceSec: 2 };
const delivered = { state: "delivered" as const };

describe("the audit's expected call", () => {
  it("with responsibleBeforeSupport and talkWithoutSupport: the customized figures, so the delivered call is not 'wrong'", async () => {
    const call = rebuilt(throughSupportAndBack());
    const { runner, config, counts } = await shippedRunner({
      responsibleBeforeSupport: { options: {} },
      talkWithoutSupport: { options: { exclude: { extensions: ["301"] } } },
    });
    const plain = await expectedCallOf(call, directory, config);
    assert.deepEqual([plain.userId, plain.durationSec], [2, 180], "the connector alone: 102, every leg");
    const customized = await expectedCallOf(call, directory, config, runner.derive({ logger: silent() }));
    assert.deepEqual([customized.userId, customized.durationSec], [1, 150], "101, without Support's 30 s");
    assert.equal(customized.unsure, undefined);

    // What delivery put in the portal with the same customizations:
    const portal = {
      checked: true as const,
      records: [{ callId: "B1", userId: 1, status: "200", durationSec: 150 }],
    };
    assert.equal(compareCall(customized, delivered, portal, options), undefined);
    assert.equal(
      compareCall(plain, delivered, portal, options)?.problem,
      "wrong",
      "what the audit said before",
    );
    assert.equal(counts.size, 0, "a derived runner does not count into the process's hook statistics");
  });

  it("a customization that asks the CRM: nothing is sent, the field it decides is not compared, the others are", async () => {
    const asked: string[] = [];
    const { runner, lines, counts } = runnerWith([
      customization("ownerFromCrm", {
        async resolveResponsible(ctx) {
          asked.push("resolveResponsible");
          const contact = (await ctx.crm.call("crm.contact.get", { id: 7 })) as { ASSIGNED_BY_ID: number };
          return { userId: contact.ASSIGNED_BY_ID, reason: "owner" };
        },
      }),
    ]);
    const audit = runner.derive({ logger: silent() });
    const expected = await expectedCallOf(rebuilt(throughSupportAndBack()), directory, testConfig(), audit);
    assert.deepEqual(asked, ["resolveResponsible"], "the customization ran");
    assert.deepEqual(expected.unsure, ["user"]);
    assert.equal(expected.userId, 2, "its fallback: the connector's own choice");
    const otherOwner = { callId: "B1", userId: 9, status: "200", durationSec: 180 };
    assert.equal(
      compareCall(expected, delivered, { checked: true, records: [otherOwner] }, options),
      undefined,
      "the owner the CRM gave at delivery is not judged",
    );
    const shorter = { ...otherOwner, durationSec: 100 };
    const finding = compareCall(expected, delivered, { checked: true, records: [shorter] }, options);
    assert.deepEqual(
      finding?.differences?.map((d) => d.field),
      ["duration"],
    );
    assert.equal(counts.size, 0, "the live runner's statistics are untouched");
    assert.equal(lines.length, 0, "nor does the audit log into the live runner's logger");
  });
});

function silent() {
  return createLogger("audit-test", "silent");
}
