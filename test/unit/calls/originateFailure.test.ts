import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failedReason, statusCode } from "../../../core/calls/decisions/index.ts";
import { decodeOriginateFailure } from "../../../core/calls/originateFailure.ts";
import type { CallState } from "../../../core/calls/types.ts";
import { extensionOfUser } from "../../../core/crm/directorySnapshot.ts";
import { readClick } from "../../../app/clickToCall/clickData.ts";
import { adoptPortalCall } from "../../../workers/calls/portalCall.ts";
import { emptyJournal } from "../../../workers/calls/journal.ts";
import { offlineEventsOf } from "../../../workers/crmEvents/offlinePoller.ts";
import { bindCommands } from "../../../workers/crmEvents/eventBinding.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";

const at = "2026-01-01T10:00:00.000Z";

function outbound(extra: Partial<CallState> = {}): CallState {
  return {
    callId: "c1",
    version: 3,
    direction: "outbound",
    phase: "ended",
    clientNumber: "+74951300001",
    lineNumber: "trunk",
    originExtension: "117",
    startedAt: at,
    endedAt: at,
    legs: [],
    conversations: [],
    transfers: [],
    ...extra,
  };
}

describe("decodeOriginateFailure", () => {
  it("given ARI 500 on create (the silently unregistered soft-phone), then unregistered for a phone and trunk failure for the client", () => {
    assert.equal(decodeOriginateFailure({ side: "operator", ariStatus: 500 }).reason, "unregistered");
    assert.equal(decodeOriginateFailure({ side: "client", ariStatus: 500 }).reason, "trunkFailure");
    assert.equal(decodeOriginateFailure({ side: "operator", ariStatus: 404 }).detail, "ARI 404");
    assert.equal(decodeOriginateFailure({ side: "operator", ariStatus: 0 }).reason, "failed");
  });

  it("given hangup causes, then each decodes to its reason with the cause in words", () => {
    const reasons = [3, 20, 17, 19, 21, 34, 38, 1, 99].map(
      (cause) => decodeOriginateFailure({ side: "client", cause }).reason,
    );
    assert.deepEqual(reasons, [
      "unregistered",
      "unregistered",
      "busy",
      "noAnswer",
      "rejected",
      "congestion",
      "trunkFailure",
      "invalidNumber",
      "failed",
    ]);
    assert.equal(decodeOriginateFailure({ side: "client", cause: 17 }).detail, "cause 17 (user busy)");
  });
});

describe("status code and FAILED_REASON of a call that never connected", () => {
  it("given the clicking user's phone failed unregistered, then 480 and the phone named", () => {
    const failure = decodeOriginateFailure({ side: "operator", ariStatus: 500 });
    const call = outbound({
      clientResult: "failed",
      legs: [{ legId: "l1", extension: "117", purpose: "direct", dialledAt: at, endedAt: at, failure }],
    });
    assert.equal(statusCode(call), "480");
    assert.equal(failedReason(call), "phone 117: not registered or unreachable (ARI 500)");
  });

  it("given the client was busy, then 486 and the client's reason; given the operator cancelled, then 603-S and no reason", () => {
    const clientFailure = decodeOriginateFailure({ side: "client", cause: 17 });
    assert.equal(statusCode(outbound({ clientResult: "busy", clientFailure })), "486");
    assert.match(failedReason(outbound({ clientResult: "busy", clientFailure })) ?? "", /busy \(cause 17/);
    const cancelled = outbound({ clientResult: "cancelled", hangupBy: "operator" });
    assert.equal(statusCode(cancelled), "603-S");
    assert.equal(failedReason(cancelled), undefined);
  });

  it("given an inbound call missed with an unregistered operator, then still 304 and the operator named", () => {
    const failure = decodeOriginateFailure({ side: "operator", cause: 20 });
    const call = outbound({
      direction: "inbound",
      legs: [{ legId: "l1", extension: "101", purpose: "group", dialledAt: at, endedAt: at, failure }],
    });
    assert.equal(statusCode(call), "304");
    assert.equal(
      failedReason(call),
      "phone 101: not registered or unreachable (cause 20 (subscriber absent))",
    );
  });
});

describe("click-to-call pieces", () => {
  it("given a portal call, then the journal adopts its CALL_ID once for the clicking user, and never again after it was forgotten", () => {
    const call = outbound({ portalCall: { callId: "externalCall.x", userId: 18 } });
    const adopted = adoptPortalCall(call, emptyJournal("c1"), at)!;
    assert.equal(adopted.bxCallId, "externalCall.x");
    assert.equal(adopted.registeredFor, 18);
    assert.equal(adopted.register.doneAt, at);
    const forgotten = { ...adopted, register: {}, bxCallId: undefined };
    assert.equal(adoptPortalCall(call, forgotten, at), undefined);
    assert.equal(adoptPortalCall(outbound(), emptyJournal("c1"), at), undefined, "not a portal call");
  });

  it("given ONEXTERNALCALLSTART data, then the click is read, and a missing CALL_ID or user is an error", () => {
    assert.deepEqual(
      readClick({ CALL_ID: "c", USER_ID: "18", PHONE_NUMBER: "8 495", PHONE_NUMBER_INTERNATIONAL: "+7495" }),
      {
        bxCallId: "c",
        userId: 18,
        phone: "+7495",
      },
    );
    assert.ok("error" in readClick({ USER_ID: "18", PHONE_NUMBER: "1" }));
    assert.ok("error" in readClick({ CALL_ID: "c", USER_ID: "x", PHONE_NUMBER: "1" }));
  });

  it("given #FROM# rules, then a user's inner number is turned back into the operator's extension", () => {
    const snapshot = { at: 0, users: { "0105": 7, "120": 21 } };
    const rules = [{ pattern: "^123(\\d{4})$", replacement: "$1" }];
    assert.equal(extensionOfUser(snapshot, 7, ["1230101", "1230105"], rules), "1230105");
    assert.equal(
      extensionOfUser(snapshot, 21, ["1230101"], rules),
      "120",
      "no operator matches: the inner number",
    );
    assert.equal(extensionOfUser(snapshot, 99, [], rules), undefined);
  });

  it("given an event.offline.get answer, then each event becomes a stream entry; junk is skipped", () => {
    const events = offlineEventsOf({
      process_id: "p",
      events: [
        { ID: 1, EVENT_NAME: "onexternalcallstart", EVENT_DATA: { CALL_ID: "c" }, MESSAGE_ID: "m" },
        { ID: 2 },
      ],
    });
    assert.deepEqual(events, [
      { name: "ONEXTERNALCALLSTART", data: { CALL_ID: "c" }, source: "offline", messageId: "m" },
    ]);
    assert.deepEqual(offlineEventsOf(null), []);
  });

  it("given OAuth and offline delivery with a public URL, then offline and online handlers are bound; a webhook binds nothing", () => {
    const oauth = parseConfig({
      bitrix: {
        auth: {
          type: "oauth",
          restUrl: "https://portal.example/rest/",
          clientId: "a",
          clientSecret: "b",
          accessToken: "c",
          refreshToken: "d",
        },
      },
      http: { publicUrl: "https://pbx.example/" },
      events: { delivery: "both", bindOnStart: true },
    });
    const commands = bindCommands(oauth);
    assert.equal(commands.length, 4);
    assert.deepEqual(commands[1], {
      method: "event.bind",
      params: { event: "ONEXTERNALCALLSTART", handler: "https://pbx.example/bitrix/events" },
    });
    const webhook = parseConfig({
      bitrix: { auth: { type: "webhook", webhookUrl: "https://portal.example/rest/1/x/" } },
      events: { delivery: "offline", bindOnStart: true },
    });
    assert.deepEqual(bindCommands(webhook), []);
  });
});
