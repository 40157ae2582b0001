/**
 * Testbed smoke test: the real Asterisk, the project's dialplan and the sipp phones work together.
 * Needs `npm run testbed -- up`. Uses plain fetch + ws (testbed/ariProbe.ts), not the app's adapter.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { AriProbe, channelOf, type AriEvent } from "../../../testbed/ariProbe.ts";
import { placeCall, placeOperatorCall, startClient, startOperator, stopAll } from "../../support/sipp.ts";
import { getTestbed } from "../../support/testbed.ts";

const CALLER = "74951234567";
const DID = "4951112233";

let ari: AriProbe;
const originated: string[] = [];

const isType = (type: string, channelId: string) => (e: AriEvent) =>
  e.type === type && channelOf(e)?.id === channelId;

async function originate(
  target: string | number,
  variables: Record<string, string> = {},
  originator?: string,
) {
  const id = randomUUID();
  originated.push(id);
  const endpoint = String(target).includes("/") ? String(target) : `PJSIP/${target}`;
  const query: Record<string, string> = { endpoint, app: "itgrix", appArgs: "operator", channelId: id };
  if (originator) query.originator = originator;
  const response = await ari.request("POST", "/channels", query, { variables });
  return { id, ...response };
}

async function waitForInboundCall(did: string): Promise<string> {
  const start = await ari.waitFor(
    (e) => e.type === "StasisStart" && JSON.stringify(e.args) === JSON.stringify(["inbound", did]),
    10_000,
    `StasisStart inbound ${did}`,
  );
  return channelOf(start).id;
}

before(async () => {
  ari = await AriProbe.connect(await getTestbed());
});

beforeEach(() => ari.clear());

const createdBridges: string[] = [];

/** Hangs up every channel that entered Stasis or was originated in the test, even when it failed. */
async function cleanUpAsterisk(): Promise<void> {
  const channels = new Set(ari.events.filter((e) => e.type === "StasisStart").map((e) => channelOf(e).id));
  for (const id of originated.splice(0)) channels.add(id);
  for (const id of channels) await ari.request("DELETE", `/channels/${id}`);
  for (const id of createdBridges.splice(0)) await ari.request("DELETE", `/bridges/${id}`);
}

afterEach(async () => {
  await cleanUpAsterisk();
  await stopAll();
});

after(() => ari.close());

describe("testbed smoke", () => {
  it("given an operator phone, when a client calls a DID, then the call reaches Stasis and both legs are bridged", async () => {
    const operator = await startOperator({ extension: 101, behaviour: { answerAfterMs: 300 } });
    const call = placeCall({ from: CALLER, to: DID, expectAnswer: true, maxTalkMs: 20_000 });

    const callerId = await waitForInboundCall(DID);
    const callerStart = ari.events.find(isType("StasisStart", callerId))!;
    assert.equal(channelOf(callerStart).caller.number, CALLER);
    assert.equal((await ari.request("POST", `/channels/${callerId}/ring`)).status, 204);

    const leg = await originate(101, { TRANSFER_CONTEXT: "itgrix-transfer" }, callerId);
    assert.equal(leg.status, 200, JSON.stringify(leg.json));
    await ari.waitFor(isType("StasisStart", leg.id), 10_000, "operator StasisStart (answer)");
    assert.equal((await ari.request("POST", `/channels/${callerId}/answer`)).status, 204);

    const bridge = await ari.request("POST", "/bridges", { type: "mixing" });
    const bridgeId = (bridge.json as { id: string }).id;
    createdBridges.push(bridgeId);
    await ari.request("POST", `/bridges/${bridgeId}/addChannel`, { channel: `${callerId},${leg.id}` });
    await ari.waitFor(isType("ChannelEnteredBridge", callerId), 5000, "caller in bridge");
    await ari.waitFor(isType("ChannelEnteredBridge", leg.id), 5000, "operator in bridge");

    await ari.request("DELETE", `/channels/${leg.id}`);
    await ari.request("DELETE", `/channels/${callerId}`);
    // Once out of Stasis the caller's channel is no longer ours: StasisEnd is its last event.
    await ari.waitFor(isType("StasisEnd", callerId), 5000, "caller StasisEnd");
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "operator leg destroyed");
    assert.equal(destroyed.cause, 16);
    await ari.request("DELETE", `/bridges/${bridgeId}`);

    const result = await call;
    assert.equal(result.answered, true);
    assert.equal(result.hungUpBy, "remote");
    const stats = await operator.waitFor((s) => s.remoteHangups === 1);
    assert.equal(stats.answered, 1);
  });

  it("given a busy operator phone, when it is originated, then the leg ends with cause 17", async () => {
    await startOperator({ extension: 102, behaviour: "busy" });
    const leg = await originate(102);
    assert.equal(leg.status, 200);
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "busy leg destroyed");
    assert.equal(destroyed.cause, 17);
  });

  it("given a rejecting operator phone (603), when it is originated, then the leg ends with cause 21", async () => {
    await startOperator({ extension: 103, behaviour: "reject" });
    const leg = await originate(103);
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "rejected leg destroyed");
    assert.equal(destroyed.cause, 21);
  });

  it("given a ringing phone that never answers, when the app hangs up the leg, then the phone gets a clean CANCEL", async () => {
    const phone = await startOperator({ extension: 104, behaviour: "noAnswer" });
    const leg = await originate(104);
    await ari.waitFor(
      (e) =>
        e.type === "Dial" &&
        e.dialstatus === "RINGING" &&
        channelOf({ type: "", channel: e.peer })?.id === leg.id,
      5000,
      "RINGING",
    );
    await ari.request("DELETE", `/channels/${leg.id}`, { reason: "answered_elsewhere" });
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "cancelled leg destroyed");
    assert.equal(destroyed.cause, 26);
    await phone.waitFor((s) => s.cancelled === 1, 5000);
  });

  it("given the unregistered phone 199, when it is originated, then it fails at once and its endpoint is offline", async () => {
    const endpoint = await ari.request("GET", "/endpoints/PJSIP/199");
    assert.equal((endpoint.json as { state: string }).state, "offline");
    const started = Date.now();
    const leg = await originate(199);
    assert.equal(leg.status, 500, JSON.stringify(leg.json));
    assert.ok(Date.now() - started < 1000);
  });

  it("given a caller that hangs up while ringing, then it CANCELs and Asterisk ends the channel", async () => {
    const call = placeCall({ from: CALLER, to: DID, hangupBeforeAnswerMs: 1000 });
    const callerId = await waitForInboundCall(DID);
    await ari.request("POST", `/channels/${callerId}/ring`);
    const result = await call;
    assert.equal(result.answered, false);
    assert.equal(result.statusCode, 487);
    await ari.waitFor(isType("ChannelHangupRequest", callerId), 5000, "caller hangup request");
    await ari.waitFor(isType("StasisEnd", callerId), 5000, "caller StasisEnd after CANCEL");
  });

  it("given a caller that sends DTMF after the answer, then the app receives the digits", async () => {
    const call = placeCall({ from: CALLER, to: DID, dtmf: "12#", talkMs: 2500, expectAnswer: true });
    const callerId = await waitForInboundCall(DID);
    await ari.request("POST", `/channels/${callerId}/answer`);
    const dtmf = () =>
      ari.events.filter((e) => e.type === "ChannelDtmfReceived" && channelOf(e).id === callerId);
    await ari.waitFor(() => dtmf().length >= 3, 5000, "three DTMF digits");
    assert.deepEqual(
      dtmf().map((e) => e.digit),
      ["1", "2", "#"],
    );
    const result = await call;
    assert.equal(result.hungUpBy, "caller");
  });

  it("given an operator leg originated with TRANSFER_CONTEXT, when its phone sends a blind REFER, then the target enters Stasis as a transfer", async () => {
    const phone = await startOperator({
      extension: 105,
      behaviour: { blindTransfer: { answerAfterMs: 200, afterMs: 800, to: "106" } },
    });
    const call = placeCall({ from: CALLER, to: DID, maxTalkMs: 20_000 });
    const callerId = await waitForInboundCall(DID);
    const leg = await originate(105, { TRANSFER_CONTEXT: "itgrix-transfer" }, callerId);
    await ari.waitFor(isType("StasisStart", leg.id), 10_000, "operator StasisStart");
    await ari.request("POST", `/channels/${callerId}/answer`);
    const bridge = (await ari.request("POST", "/bridges", { type: "mixing" })).json as { id: string };
    createdBridges.push(bridge.id);
    await ari.request("POST", `/bridges/${bridge.id}/addChannel`, { channel: `${callerId},${leg.id}` });

    const transfer = await ari.waitFor(
      (e) => e.type === "BridgeBlindTransfer",
      10_000,
      "BridgeBlindTransfer",
    );
    assert.equal(transfer.result, "Success");
    assert.equal(transfer.exten, "106");
    assert.equal(transfer.context, "itgrix-transfer");
    const target = await ari.waitFor(
      (e) => e.type === "StasisStart" && JSON.stringify(e.args) === JSON.stringify(["transfer", "106"]),
      5000,
      "StasisStart transfer 106",
    );
    assert.match(channelOf(target).name, /^Local\/106@itgrix-transfer-/);
    // The phone hangs up itself after the final NOTIFY (sipfrag 200), as real phones do.
    await phone.waitFor((s) => s.transfersAccepted === 1 && s.localHangups === 1, 10_000);

    await ari.request("DELETE", `/channels/${channelOf(target).id}`);
    await ari.request("DELETE", `/channels/${callerId}`);
    await ari.request("DELETE", `/bridges/${bridge.id}`);
    assert.equal((await call).answered, true);
  });

  it("given a busy client behind the trunk, when the app dials it, then the leg ends with cause 17", async () => {
    const client = await startClient({ behaviour: "busy" });
    const leg = await originate("PJSIP/79990001122@trunk");
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "client leg destroyed");
    assert.equal(destroyed.cause, 17);
    assert.equal(client.calls(), 1);
  });

  it("given an answering client behind the trunk, when the app dials it, then the leg answers", async () => {
    const client = await startClient({ behaviour: { answerAfterMs: 200, talkMs: 500 } });
    const leg = await originate("PJSIP/79990001122@trunk");
    await ari.waitFor(isType("StasisStart", leg.id), 5000, "client answered");
    const destroyed = await ari.waitFor(isType("ChannelDestroyed", leg.id), 5000, "client hung up");
    // Measured: a far-end BYE without a Reason header ends the PJSIP leg with cause 0 "Unknown".
    assert.equal(destroyed.cause, 0);
    assert.equal(client.stats().localHangups, 1);
  });

  it("given an operator phone dialling out, then the call enters Stasis as outbound from that operator", async () => {
    const call = placeOperatorCall({ fromExtension: 107, to: "79991234567", hangupBeforeAnswerMs: 5000 });
    const start = await ari.waitFor(
      (e) =>
        e.type === "StasisStart" && JSON.stringify(e.args) === JSON.stringify(["outbound", "79991234567"]),
      5000,
      "StasisStart outbound",
    );
    assert.match(channelOf(start).name, /^PJSIP\/107-/);
    await ari.request("DELETE", `/channels/${channelOf(start).id}`, { reason: "busy" });
    const result = await call;
    assert.equal(result.answered, false);
    assert.equal(result.statusCode, 486);
  });
});
