/**
 * The register's USER_ID: the portal assigns the lead it creates for an unknown caller to that user.
 * An inbound call is registered for the first CRM user who rings (or the client's CRM responsible),
 * never for crm.defaultUserId while a CRM user may still ring; the default user only for a call that
 * ended without any CRM user.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerUser } from "../../../core/calls/decisions/index.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent } from "../../../core/calls/types.ts";
import { directory, ev } from "./callEvents.ts";

const DEFAULT = { defaultUserId: 50 };
const call = (...events: CallEvent[]) => foldCallEvents(events);

describe("registerUser: a live inbound call", () => {
  it("in the IVR, before any leg: nobody (the worker waits), although a default user is set", () => {
    const inIvr = call(ev.inbound(0), ev.clientAnswered(0.5));
    assert.ok(inIvr.answeredAt, "the PBX answered the caller (the IVR prompt plays)");
    assert.equal(registerUser(inIvr, directory, DEFAULT), undefined);
  });

  it("after the caller chose 105 in the IVR and 105 rings: 105's user", () => {
    const chosen = call(
      ev.inbound(0),
      ev.clientAnswered(0.5),
      ev.ivrInput(4, "105", "105"),
      ev.dial(4, "105", "ivr"),
    );
    assert.deepEqual(registerUser(chosen, directory, DEFAULT), { userId: 5, reason: "dialled" });
  });

  it("ring-all of Support (not CRM users) and 103: 103's user, whatever the dial order", () => {
    const ringing = call(ev.inbound(0), ev.dial(0.1, "301"), ev.dial(0.2, "103"), ev.dial(0.3, "102"));
    assert.deepEqual(registerUser(ringing, directory, DEFAULT), { userId: 3, reason: "dialled" });
  });

  it("only Support rings: nobody yet (an overflow to CRM users may follow)", () => {
    const support = call(ev.inbound(0), ev.dial(0.1, "301"), ev.ring(0.2, "301"));
    assert.equal(registerUser(support, directory, DEFAULT), undefined);
  });

  it("Support answered, then transfers to 104: 104's user", () => {
    const transferred = call(
      ev.inbound(0),
      ev.dial(0.1, "301"),
      ev.talk(1, "301"),
      ev.transfer(30, "blind", "301", "104"),
      ev.stopTalk(30, "301", "transferred"),
      ev.dial(30.1, "104", "transfer"),
    );
    assert.deepEqual(registerUser(transferred, directory, DEFAULT), { userId: 4, reason: "dialled" });
  });

  it("a CRM operator skipped (busy) or whose leg failed at once never counts; the next who rings does", () => {
    const skippedOnly = call(
      ev.inbound(0),
      ev.skip(0.1, "101"),
      ev.dial(0.1, "102"),
      ev.end(0.2, "102", "unregistered"),
    );
    assert.equal(registerUser(skippedOnly, directory, DEFAULT), undefined);
    const next = call(
      ev.inbound(0),
      ev.dial(0.1, "102"),
      ev.end(0.2, "102", "unregistered"),
      ev.dial(0.3, "103"),
    );
    assert.deepEqual(registerUser(next, directory, DEFAULT), { userId: 3, reason: "dialled" });
  });

  it("a CRM user who rang and missed still counts (the lead belongs to someone who saw the call)", () => {
    const missed = call(
      ev.inbound(0),
      ev.dial(0.1, "101"),
      ev.ring(0.2, "101"),
      ev.end(20, "101", "noanswer"),
    );
    assert.deepEqual(registerUser(missed, directory, DEFAULT), { userId: 1, reason: "dialled" });
  });
});

describe("registerUser: the client's CRM responsible", () => {
  it("is used first for an inbound call, even in the IVR and while others ring", () => {
    const options = { ...DEFAULT, crmResponsibleUserId: 7 };
    assert.deepEqual(registerUser(call(ev.inbound(0), ev.clientAnswered(0.5)), directory, options), {
      userId: 7,
      reason: "crm",
    });
    assert.deepEqual(registerUser(call(ev.inbound(0), ev.dial(0.1, "101")), directory, options), {
      userId: 7,
      reason: "crm",
    });
  });

  it("does not change an outbound call, which belongs to the operator who dialled", () => {
    const outbound = call(ev.outbound(0, "102"));
    assert.deepEqual(registerUser(outbound, directory, { crmResponsibleUserId: 7 }), {
      userId: 2,
      reason: "origin",
    });
  });
});

describe("registerUser: an ended inbound call", () => {
  it("hung up in the IVR: the default user, or nobody without one", () => {
    const hungUp = call(ev.inbound(0), ev.clientAnswered(0.5), ev.hangup(8, { hangupBy: "client" }));
    assert.deepEqual(registerUser(hungUp, directory, DEFAULT), { userId: 50, reason: "default" });
    assert.equal(registerUser(hungUp, directory), undefined);
  });

  it("answered only by Support: the default user", () => {
    const support = call(
      ev.inbound(0),
      ev.dial(0.1, "301"),
      ev.talk(1, "301"),
      ev.stopTalk(30, "301"),
      ev.hangup(30),
    );
    assert.deepEqual(registerUser(support, directory, DEFAULT), { userId: 50, reason: "default" });
  });

  it("a CRM user rang: that user, not the default", () => {
    const missed = call(
      ev.inbound(0),
      ev.dial(0.1, "106"),
      ev.ring(0.2, "106"),
      ev.hangup(10),
      ev.end(10, "106", "cancelled"),
    );
    assert.deepEqual(registerUser(missed, directory, DEFAULT), { userId: 6, reason: "dialled" });
  });
});
