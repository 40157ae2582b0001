import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { journalFactsOf } from "../../../core/audit/expectedCall.ts";
import { callIdOfLinkedId } from "../../../core/calls/serverScope.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { auditServerId, AuditServerUnknown } from "../../../workers/audit/auditServer.ts";
import { portalRecords } from "../../../workers/audit/portalStatistics.ts";
import type { PlannedGroup } from "../../../workers/calls/plan.ts";

/** How the audit finds a call: its call id from Asterisk's linkedid, and its record in the portal. */

const keys = redisKeys("t");
const hkeys = (ids: string[]) => ({ hkeys: async () => ids });

describe("the server an audit reads the records of", () => {
  it("is asterisk.serverId when configured, else the one id the app announced", async () => {
    const configured = parseConfig({ asterisk: { serverId: "pbx1" } });
    assert.equal(await auditServerId(configured, hkeys(["other"]), keys), "pbx1");
    const unset = parseConfig({});
    assert.equal(await auditServerId(unset, hkeys(["0242ac110002"]), keys), "0242ac110002");
  });

  it("none or several announced and none configured: a clear error naming the key, no guess", async () => {
    const unset = parseConfig({});
    await assert.rejects(auditServerId(unset, hkeys([]), keys), AuditServerUnknown);
    await assert.rejects(auditServerId(unset, hkeys(["a", "b"]), keys), /several .*asterisk\.serverId/);
  });

  it("a plain linkedid gets the server's prefix; one Asterisk prefixed with its systemname keeps it", () => {
    assert.equal(callIdOfLinkedId("0242ac110002", "1764600000.12"), "0242ac110002-1764600000.12");
    assert.equal(callIdOfLinkedId("tb1", "tb1-1764600000.12"), "tb1-1764600000.12");
    assert.equal(callIdOfLinkedId("pbx1", "tb1-1764600000.12"), "pbx1-tb1-1764600000.12");
  });
});

describe("the portal's statistics of audited calls", () => {
  const record = (CALL_ID: string, EXTERNAL_CALL_ID: string, PORTAL_USER_ID = 1) => ({
    CALL_ID,
    EXTERNAL_CALL_ID,
    PORTAL_USER_ID,
    CALL_DURATION: 3,
    CALL_FAILED_CODE: "200",
  });

  it("asks by EXTERNAL_CALL_ID, a click-to-call by the portal's CALL_ID (its record carries no EXTERNAL_CALL_ID)", async () => {
    const sent: PlannedGroup[] = [];
    const delivery = {
      async send(group: PlannedGroup) {
        sent.push(group);
        const filter = group.commands[0]!.params.FILTER as Record<string, string>;
        const result = filter.CALL_ID
          ? [record(filter.CALL_ID, "")]
          : [record("B7", filter.EXTERNAL_CALL_ID!)];
        return [{ ok: true as const, result }];
      },
    };
    const found = await portalRecords(delivery as never, [
      { callId: "tb1-1.1" },
      { callId: "tb1-1.2", portalCallId: "externalCall.abc" },
    ]);
    assert.deepEqual(
      sent.map((g) => g.commands[0]!.params.FILTER),
      [{ EXTERNAL_CALL_ID: "tb1-1.1" }, { CALL_ID: "externalCall.abc" }],
    );
    assert.deepEqual(found.get("tb1-1.1"), [{ callId: "B7", userId: 1, status: "200", durationSec: 3 }]);
    assert.deepEqual(found.get("tb1-1.2"), [
      { callId: "externalCall.abc", userId: 1, status: "200", durationSec: 3 },
    ]);
  });

  it("the journal of an adopted click-to-call names the portal's CALL_ID; our own register does not", () => {
    const adopted = { callId: "c", bxCallId: "P1", portalCallAdoptedAt: "t", deliveredAt: "t" };
    assert.equal(journalFactsOf(JSON.stringify(adopted)).portalCallId, "P1");
    const own = { callId: "c", bxCallId: "B1", deliveredAt: "t" };
    assert.equal(journalFactsOf(JSON.stringify(own)).portalCallId, undefined);
  });
});
