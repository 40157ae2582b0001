/** Recorded calls the shipped customizations are tested with (besides test/unit/calls/scenarios.ts). */
import type { CallEvent } from "../../../core/calls/types.ts";
import { ev } from "../calls/callEvents.ts";

/** 101 talks 60 s, transfers to Support 301 (30 s), who transfers to 102 (90 s). */
export const throughSupportAndBack = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.ring(0.2, "101"),
  ev.answer(5, "101"),
  ev.talk(5, "101"),
  ev.transfer(65, "blind", "101", "301"),
  ev.stopTalk(65, "101", "transferred"),
  ev.end(65.1, "101", "answered"),
  ev.dial(65.2, "301", "transfer"),
  ev.answer(70, "301"),
  ev.talk(70, "301"),
  ev.transfer(100, "blind", "301", "102"),
  ev.stopTalk(100, "301", "transferred"),
  ev.end(100.1, "301", "answered"),
  ev.dial(100.2, "102", "transfer"),
  ev.answer(110, "102"),
  ev.talk(110, "102"),
  ev.hangup(200, { hangupBy: "client" }),
  ev.end(200, "102", "answered"),
];

/** 101 talks 60 s, then transfers to 105 (a CRM user who works in Support) for 120 s. */
export const toCrmSupportUser = (): CallEvent[] => [
  ev.inbound(0),
  ev.dial(0.1, "101"),
  ev.answer(5, "101"),
  ev.talk(5, "101"),
  ev.transfer(65, "blind", "101", "105"),
  ev.stopTalk(65, "101", "transferred"),
  ev.end(65.1, "101", "answered"),
  ev.dial(65.2, "105", "transfer"),
  ev.answer(75, "105"),
  ev.talk(75, "105"),
  ev.hangup(195, { hangupBy: "client" }),
  ev.end(195, "105", "answered"),
];
