/**
 * Observe mode's translation (app/observe/translate.ts) on event sequences recorded from the testbed's
 * real Asterisk 22 with `subscribeAll` (test/fixtures/observe/*.json: calls routed by the example
 * dialplan of dialplan/extensions_itgrix_observe.conf, sipp phones), folded with the app's reducer
 * and judged by the workers' decisions.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { cardAudience } from "../../../core/calls/decisions/cardAudience.ts";
import { responsibleUser } from "../../../core/calls/decisions/responsibleUser.ts";
import { statusCode } from "../../../core/calls/decisions/statusCode.ts";
import { talkDurationSec } from "../../../core/calls/decisions/talkDuration.ts";
import { applyCallEvent } from "../../../core/calls/reducer.ts";
import type { CallEvent, CallState } from "../../../core/calls/types.ts";
import type { AriChannel, AriEvent } from "../../../app/ari/types.ts";
import { eventTime } from "../../../app/observe/observer.ts";
import {
  newObservedCall,
  observeEvent,
  observeGone,
  startsObservedCall,
  type ObserveRules,
  type ObservedCall,
} from "../../../app/observe/translate.ts";

const RULES: ObserveRules = { app: "itgrix", contexts: ["itgrix-observe-example"], trunks: [] };
const directory = { userIdByExtension: (ext: string) => (/^\d+$/.test(ext) ? Number(ext) - 99 : undefined) };

function recorded(name: string): AriEvent[] {
  return JSON.parse(readFileSync(new URL(`../../fixtures/observe/${name}.json`, import.meta.url), "utf8"));
}

function channelsOf(e: AriEvent): AriChannel[] {
  if (e.type === "Dial") return [e.peer, ...(e.caller ? [e.caller] : [])];
  return "channel" in e ? [e.channel] : [];
}

interface Run {
  call?: ObservedCall;
  facts: CallEvent[];
  dropped: boolean;
  /** The CallState after each fact. */
  states: CallState[];
}

/** Feeds a recorded sequence the way app/observe/observer.ts routes it (one call per fixture). */
function observe(events: AriEvent[], rules = RULES, until = events.length): Run {
  const run: Run = { facts: [], dropped: false, states: [] };
  let state: CallState | undefined;
  for (const e of events.slice(0, until)) {
    if (!run.call) {
      const first = channelsOf(e).find((c) => startsObservedCall(c, rules));
      if (!first || e.type === "ChannelDestroyed") continue;
      run.call = newObservedCall(first, `srv1-${first.id}`, eventTime(e));
    }
    const step = observeEvent(run.call, e, rules, eventTime(e));
    if (step.dropped) {
      run.dropped = true;
      break;
    }
    run.call = step.call;
    for (const fact of step.facts) {
      state = applyCallEvent(state, fact);
      run.states.push(state);
    }
    run.facts.push(...step.facts);
  }
  return run;
}

function finalState(run: Run): CallState {
  const state = run.states.at(-1);
  assert.ok(state, "no state");
  return state;
}

describe("observe mode: recorded dialplan calls → the call model", () => {
  test("given a plain Dial() to 107 that answers after 1 s and talks 2 s, then one answered call: 107's conversation of 2 s, 200, the caller hung up", () => {
    const run = observe(recorded("dial"));
    assert.deepEqual(
      run.facts.map((f) => f.type),
      [
        "callStarted",
        "legDialled",
        "legRinging",
        "legAnswered",
        "conversationStarted",
        "clientAnswered",
        "conversationEnded",
        "legEnded",
        "callEnded",
      ],
    );
    const call = finalState(run);
    assert.equal(call.callId, `srv1-${call.clientChannelId}`);
    assert.equal(call.direction, "inbound");
    assert.equal(call.clientNumber, "74952000001");
    assert.equal(call.lineNumber, "4952220001");
    assert.equal(call.phase, "ended");
    assert.deepEqual(
      call.legs.map((l) => [l.extension, l.result]),
      [["107", "answered"]],
    );
    assert.equal(call.hangupBy, "client");
    assert.equal(statusCode(call), "200");
    assert.equal(talkDurationSec(call), 2);
    assert.deepEqual(responsibleUser(call, directory), { userId: 8, reason: "answered" });
  });

  test("given Dial() to 107, then the card is for 107 while it rings and talks, and for nobody at the end", () => {
    const run = observe(recorded("dial"));
    const audiences = run.states.map((s) => cardAudience(s, directory, () => "ring").join(","));
    const ringingAt = run.facts.findIndex((f) => f.type === "legDialled");
    assert.equal(audiences[ringingAt], "8", "shown to 107's user as soon as the leg is dialled");
    assert.equal(audiences.at(-1), "", "hidden at the end");
  });

  test("given a linear Queue() of 105 then 106 where nobody answers, then a missed call (304), both legs no-answer, ended by the dialplan, 106's user responsible (rung last)", () => {
    const call = finalState(observe(recorded("queueMissed")));
    assert.deepEqual(
      call.legs.map((l) => [l.extension, l.result, l.ringingAt !== undefined]),
      [
        ["105", "noanswer", true],
        ["106", "noanswer", true],
      ],
    );
    assert.equal(call.conversations.length, 0);
    assert.equal(call.hangupBy, "system");
    assert.equal(call.clientResult, "noanswer");
    assert.equal(statusCode(call), "304");
    assert.equal(talkDurationSec(call), 0);
    assert.deepEqual(responsibleUser(call, directory), { userId: 7, reason: "rung" });
  });

  test("given the queue where 105 does not answer and 106 answers, then the card moves 105 → 106 and the call is 106's, 200, 2 s", () => {
    const run = observe(recorded("queueSecond"));
    const call = finalState(run);
    assert.deepEqual(
      call.legs.map((l) => [l.extension, l.result]),
      [
        ["105", "noanswer"],
        ["106", "answered"],
      ],
    );
    assert.equal(statusCode(call), "200");
    assert.equal(talkDurationSec(call), 2);
    assert.deepEqual(responsibleUser(call, directory), { userId: 7, reason: "answered" });
    const audiences = run.states.map((s) => cardAudience(s, directory, () => "ring").join(","));
    const changes = audiences.filter((a, i) => i === 0 || a !== audiences[i - 1]);
    assert.deepEqual(changes, ["", "6", "", "7", ""]);
  });

  test("given the caller hangs up while 107 rings, then a missed call the client cancelled; 107's leg cancelled", () => {
    const call = finalState(observe(recorded("cancel")));
    assert.equal(call.hangupBy, "client");
    assert.equal(call.clientResult, "cancelled");
    assert.equal(statusCode(call), "304");
    assert.deepEqual(responsibleUser(call, directory), { userId: 8, reason: "rung" });
    assert.equal(call.legs[0]!.ringingAt !== undefined, true);
  });

  test("given a trunk rule, when the call enters Stasis(itgrix) first, then it is not observed (no fact at all)", () => {
    const run = observe(recorded("stasis"), { app: "itgrix", contexts: [], trunks: ["trunk"] });
    assert.equal(run.dropped, true);
    assert.deepEqual(run.facts, []);
  });

  test("given a trunk rule, then a dialplan call from that trunk is followed like a context rule", () => {
    const byTrunk = finalState(observe(recorded("dial"), { app: "itgrix", contexts: [], trunks: ["trunk"] }));
    const byContext = finalState(observe(recorded("dial")));
    assert.deepEqual({ ...byTrunk, lineNumber: "" }, { ...byContext, lineNumber: "" });
  });

  test("given contexts that do not match, then nothing is followed", () => {
    const run = observe(recorded("queueSecond"), { app: "itgrix", contexts: ["other"], trunks: [] });
    assert.equal(run.call, undefined);
  });

  test("given the app lost Asterisk while 107 talked and both channels were gone at the resync, then the call ends at the loss: answered, talk time up to then", () => {
    const events = recorded("dial");
    const talking = events.findIndex((e) => e.type === "ChannelHangupRequest");
    const run = observe(events, RULES, talking);
    assert.equal(finalState(run).phase, "talking");
    const lostAt = new Date(Date.parse(eventTime(events[talking]!)) - 500).toISOString();
    let call = run.call!;
    let state = finalState(run);
    for (const id of [call.clientChannelId, ...Object.keys(call.legs)]) {
      const step = observeGone(call, id, lostAt);
      call = step.call;
      for (const fact of step.facts) state = applyCallEvent(state, fact);
    }
    assert.equal(state.phase, "ended");
    assert.equal(state.endedAt, lostAt);
    assert.equal(statusCode(state), "200");
    const answeredAt = Date.parse(state.conversations[0]!.startedAt);
    assert.equal(talkDurationSec(state), Math.round((Date.parse(lostAt) - answeredAt) / 1000));
    assert.equal(state.conversations[0]!.endedAt, lostAt);
  });

  test("given every event delivered twice, then the facts are the same as once (a resync replaying snapshots)", () => {
    const events = recorded("queueSecond");
    const once = observe(events).facts;
    const twice = observe(events.flatMap((e) => [e, e])).facts;
    assert.deepEqual(twice, once);
  });
});
