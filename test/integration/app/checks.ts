import assert from "node:assert/strict";
import type { CallState, Conversation, Leg } from "../../../core/calls/types.ts";
import type { AppUnderTest } from "./harness.ts";

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);

/** Talk time of a closed conversation, in ms. */
export function talkMs(c: Conversation | undefined): number {
  assert.ok(c?.endedAt, `conversation not closed: ${JSON.stringify(c)}`);
  return ms(c.endedAt) - ms(c.startedAt);
}

/** Asserts `actual` is within `tolerance` ms of `expected`. */
export function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} ms, expected ${expected} ± ${tolerance} ms`,
  );
}

function assertLegSound(call: CallState, leg: Leg): void {
  const at = JSON.stringify(leg);
  assert.ok(leg.endedAt && leg.result, `leg closed with a result: ${at}`);
  if (leg.skipped) return;
  const steps = [leg.dialledAt, leg.ringingAt, leg.answeredAt, leg.endedAt].filter(Boolean).map(ms);
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i]! >= steps[i - 1]!, `leg times in order: ${at}`);
  assert.ok(ms(leg.dialledAt) >= ms(call.startedAt), `leg dialled after the call started: ${at}`);
  assert.equal(leg.answeredAt !== undefined, leg.result === "answered", `answeredAt iff answered: ${at}`);
}

/**
 * What every ended call must satisfy, whatever its scenario: closed legs and conversations in time
 * order, one lifecycle job per state version with unique ids (the last one not before `ended`), and
 * every leg channel carrying the call's linkedid and the expected caller id.
 */
export async function assertSoundCall(
  app: AppUnderTest,
  call: CallState,
  expect: { legCallerId?: string } = {},
): Promise<void> {
  assert.equal(call.phase, "ended");
  assert.ok(call.endedAt && ms(call.endedAt) >= ms(call.startedAt), "endedAt after startedAt");
  for (const leg of call.legs) assertLegSound(call, leg);
  for (const c of call.conversations) {
    const leg = call.legs.find((l) => l.legId === c.legId);
    assert.ok(leg?.answeredAt, `conversation of an answered leg: ${JSON.stringify(c)}`);
    assert.equal(c.extension, leg.extension);
    assert.ok(c.endedAt && c.endReason, `conversation closed: ${JSON.stringify(c)}`);
    assert.ok(ms(c.startedAt) >= ms(leg.answeredAt) && ms(c.endedAt) <= ms(call.endedAt));
  }
  const jobs = (await app.jobs()).filter((j) => j.data.callId === call.callId);
  assert.deepEqual(
    jobs.map((j) => j.data.version).sort((a, b) => a - b),
    Array.from({ length: call.version }, (_, i) => i + 1),
    "one lifecycle job per state version",
  );
  assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, "job ids unique");
  assert.equal(jobs.filter((j) => j.name === "ended").length, 1, "exactly one ended job");
  assert.ok(
    jobs.some((j) => j.name === "callStarted"),
    "a callStarted job",
  );
  for (const leg of call.legs.filter((l) => !l.skipped && !l.legId.startsWith("skip:"))) {
    const channel = app.channels.get(leg.legId);
    if (!channel) continue; // e.g. an originate that failed at once
    assert.equal(
      channel.channelvars?.["CHANNEL(linkedid)"],
      call.callId,
      `leg ${leg.extension} carries the call's linkedid`,
    );
    if (expect.legCallerId !== undefined) {
      assert.equal(channel.caller.number, expect.legCallerId, `caller id shown to ${leg.extension}`);
    }
  }
  if (call.clientChannelId && app.channels.has(call.clientChannelId)) {
    const client = app.channels.get(call.clientChannelId)!;
    assert.equal(client.channelvars?.["CHANNEL(linkedid)"], call.callId, "client carries the linkedid");
  }
}
