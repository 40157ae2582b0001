/** Recorded event sequences of whole calls, shared by the reducer and decision tests. */
import type { CallEvent } from "../../../core/calls/types.ts";
import { ev } from "./callEvents.ts";

/** 101 answers after 5 s and talks 59.98 s; the client hangs up. */
export const inboundAnswered = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.3, "101"),
  ev.answer(5, "101"),
  ev.talk(5.02, "101"),
  ev.recStart(5.05),
  ev.hangup(65, { hangupBy: "client", clientResult: "answered" }),
  ev.end(65.01, "101", "answered"),
  ev.recDone(65.3, undefined, 60),
];

/** Ring-all 101+102 until the group timeout; nobody answers. */
export const missedNobodyAnswered = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.dial(0.1, "102"),
  ev.ring(0.2, "101"),
  ev.ring(0.25, "102"),
  ev.end(60, "101", "noanswer"),
  ev.end(60, "102", "noanswer"),
  ev.hangup(60.1, { hangupBy: "system", clientResult: "noanswer" }),
];

/** The caller gives up after 8 s while 101 rings. */
export const callerHungUpWhileRinging = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.3, "101"),
  ev.hangup(8, { hangupBy: "client", clientResult: "cancelled" }),
  ev.end(8.02, "101", "cancelled"),
];

/** Ring-all 101/102/103; 102 and 103 answer in the same millisecond; 102's conversation wins. */
export const ringAllSimultaneousAnswers = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.dial(0.1, "102"),
  ev.dial(0.1, "103"),
  ev.ring(0.2, "101"),
  ev.ring(0.2, "102"),
  ev.ring(0.3, "103"),
  ev.answer(7, "102"),
  ev.answer(7, "103"),
  ev.talk(7, "102"),
  ev.talk(7, "103"), // the app's race: ignored, the first conversation wins
  ev.end(7.01, "101", "answeredElsewhere"),
  ev.end(7.01, "103", "answeredElsewhere"),
  ev.hangup(37, { hangupBy: "operator", clientResult: "answered" }),
  ev.end(37, "102", "answered"),
];

/** Sequential: 101 rings 20 s without answer, then 102 answers. */
export const sequential = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0, "101"),
  ev.ring(0.2, "101"),
  ev.end(20, "101", "noanswer"),
  ev.dial(20, "102"),
  ev.ring(20.2, "102"),
  ev.answer(30, "102"),
  ev.talk(30, "102"),
  ev.hangup(90, { hangupBy: "client" }),
  ev.end(90, "102", "answered"),
];

/** 101 is busy in another call and is skipped; 102 answers. */
export const busyOperatorSkipped = (): CallEvent[] => [
  ev.inbound(0),
  ev.skip(0, "101", "busy"),
  ev.dial(0, "102"),
  ev.ring(0.1, "102"),
  ev.answer(4, "102"),
  ev.talk(4, "102"),
  ev.hangup(24, { hangupBy: "client" }),
  ev.end(24, "102", "answered"),
];

/** 101 answers and the client hangs up in the same millisecond. */
export const zeroLength = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.2, "101"),
  ev.answer(5, "101"),
  ev.talk(5, "101"),
  ev.end(5, "101", "answered"),
  ev.hangup(5, { hangupBy: "client" }),
];

/** 101 never rings (unregistered after dial); 102 auto-answers without a ringing report. */
export const legThatNeverRang = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.end(1, "101", "unregistered", 20),
  ev.dial(1, "102"),
  ev.answer(1.5, "102"),
  ev.talk(1.5, "102"),
  ev.hangup(11.5, { hangupBy: "client" }),
  ev.end(11.5, "102", "answered"),
];

/** 101 talks 60 s, transfers blind to `to` (103 or Support 301), who talks 60 s. */
export const blindTransfer = (to = "103"): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.2, "101"),
  ev.answer(5, "101"),
  ev.talk(5, "101"),
  ev.transfer(65, "blind", "101", to),
  ev.stopTalk(65, "101", "transferred"),
  ev.end(65.1, "101", "answered"),
  ev.dial(65.2, to, "transfer"),
  ev.ring(65.4, to),
  ev.answer(75, to),
  ev.talk(75, to),
  ev.hangup(135, { hangupBy: "client" }),
  ev.end(135, to, "answered"),
];

/** 101 talks, consults 103 (who answers the consultation), then completes the transfer. */
export const attendedTransfer = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.2, "101"),
  ev.answer(5, "101"),
  ev.talk(5, "101"),
  ev.dial(40, "103", "transfer"),
  ev.ring(40.2, "103"),
  ev.answer(45, "103"),
  ev.transfer(60, "attended", "101", "103"),
  ev.talk(60, "103"), // closes 101's conversation as "transferred"
  ev.end(60.1, "101", "answered"),
  ev.hangup(120, { hangupBy: "client" }),
  ev.end(120, "103", "answered"),
];

/** IVR: the caller picks 105, which does not answer; the group (101, 102) takes over, 102 answers. */
export const ivrMissedThenGroup = (): CallEvent[] => [
  ev.inbound(0),
  ev.clientAnswered(0.5),
  ev.ivrInput(5, "105", "105"),
  ev.dial(5.1, "105", "ivr"),
  ev.ring(5.3, "105"),
  ev.end(20.1, "105", "noanswer"),
  ev.ivrMissed(20.1, "105"),
  ev.dial(20.2, "101"),
  ev.dial(20.2, "102"),
  ev.ring(20.3, "101"),
  ev.ring(20.3, "102"),
  ev.answer(25, "102"),
  ev.talk(25, "102"),
  ev.end(25.01, "101", "answeredElsewhere"),
  ev.hangup(85, { hangupBy: "client" }),
  ev.end(85, "102", "answered"),
];

/** Outbound from 101, modelled with the operator's own leg; the client answers after 8 s. */
export const outboundAnswered = (): CallEvent[] => [
  ev.outbound(0, "101"),
  ev.dial(0, "101", "direct"),
  ev.answer(0, "101"),
  ev.clientAnswered(8),
  ev.talk(8, "101"),
  ev.hangup(68, { hangupBy: "client", clientResult: "answered" }),
  ev.end(68, "101", "answered"),
];

/** Outbound from 101 without operator legs, ending with what the trunk / the operator did. */
export const outboundEnded = (end: Parameters<typeof ev.hangup>[1], afterSec = 10): CallEvent[] => [
  ev.outbound(0, "101"),
  ev.hangup(afterSec, end),
];

/** 101 calls 102 internally; 102 answers. */
export const internalCall = (): CallEvent[] => [
  ev.internal(0, "101"),
  ev.dial(0.1, "102", "direct"),
  ev.ring(0.2, "102"),
  ev.answer(3, "102"),
  ev.talk(3, "102"),
  ev.hangup(33, { hangupBy: "operator" }),
  ev.end(33, "102", "answered"),
];
