import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallState } from "../../../core/calls/types.ts";
import { METHOD, sameMethod } from "../../../workers/calls/commands.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { CommandGroup, CrmCommand } from "../../../workers/delivery/types.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { useRedis } from "../../support/redisServer.ts";
import { ok, reconcilerOn, type Answer } from "./scriptedPortal.ts";

/**
 * The reconciler after a group whose answer was lost (DeliveryError "ambiguous"), a hold, or a group
 * that provably did not run — real Redis, a scripted portal that keeps the calls it registered and
 * finished, so a duplicate would show.
 */
const shared = useRedis();

/** A tiny portal: register (30-minute rule while live), show/hide, finish, statistics. */
class TinyPortal {
  calls = new Map<string, { external: string; params: string; live: boolean; finishes: number }>();
  late: CrmCommand[] = [];
  private seq = 0;

  answer: Answer = (c) => {
    const p = c.params;
    if (sameMethod(c.method, METHOD.register)) {
      const key = JSON.stringify([p.PHONE_NUMBER, p.TYPE, p.USER_ID, p.LINE_NUMBER, p.EXTERNAL_CALL_ID]);
      for (const [id, call] of this.calls) if (call.live && call.params === key) return ok({ CALL_ID: id });
      const id = `externalCall.${++this.seq}`;
      this.calls.set(id, { external: String(p.EXTERNAL_CALL_ID), params: key, live: true, finishes: 0 });
      return ok({ CALL_ID: id });
    }
    if (sameMethod(c.method, METHOD.finish)) {
      const call = this.calls.get(String(p.CALL_ID));
      if (!call?.live) {
        const description = "Call is not found (call should be registered prior to finishing)";
        return { ok: false, error: { code: "ERROR_CORE", description, retryable: false } };
      }
      call.live = false;
      call.finishes++;
      return ok({ CALL_ID: p.CALL_ID, CRM_ACTIVITY_ID: 70 + this.seq });
    }
    if (sameMethod(c.method, METHOD.statistic)) {
      const external = (p.FILTER as { EXTERNAL_CALL_ID: string }).EXTERNAL_CALL_ID;
      const records = [...this.calls]
        .filter(([, call]) => call.external === external && call.finishes > 0)
        .map(([id]) => ({ CALL_ID: id, EXTERNAL_CALL_ID: external, CALL_DURATION: 30, PORTAL_USER_ID: 3 }));
      return ok(records);
    }
    return ok(true);
  };

  callsOf(external: string) {
    return [...this.calls.values()].filter((c) => c.external === external);
  }
}

const ambiguous = () =>
  new DeliveryError(
    "ambiguous",
    { code: "TIMEOUT", description: "no answer within 4000 ms", retryable: true },
    1,
  );
const has = (group: CommandGroup, method: string) => group.commands.some((c) => sameMethod(c.method, method));

let seq = 0;
const nextCallId = () => `1743000${String(++seq).padStart(3, "0")}.${seq}`;

function setup(options: { now?: () => Date; random?: () => number; config?: Record<string, unknown> } = {}) {
  const tiny = new TinyPortal();
  const s = reconcilerOn(shared.redis, tiny.answer, options);
  return { ...s, tiny };
}

/** Loses the answer of the first group that sends `method`: it ran at the portal, or (`ran: false`) it did not. */
function loseAnswerOnce(s: ReturnType<typeof setup>, method: string, ran = true): void {
  let done = false;
  const answer = s.portal.answer;
  s.portal.failGroup = (group) => {
    if (done || !has(group, method)) return undefined;
    done = true;
    return ambiguous();
  };
  if (!ran) {
    s.portal.answer = (c) => {
      if (!done && sameMethod(c.method, method)) return ok(null); // replaced by the rejection; nothing stored
      return answer(c);
    };
  }
}

const ringing = (callId: string): CallState => new Timeline(callId).dial(1, "102", "103").state();
const ended = (callId: string): CallState =>
  new Timeline(callId).dial(1, "102", "103").answer(4, "102").end(34).state();

describe("a register whose answer was lost while the call is live", () => {
  it("then register goes again at once with exactly the same parameters: one call at the portal, no check, no failure", async () => {
    const s = setup();
    const callId = nextCallId();
    await s.calls.put(ringing(callId));
    loseAnswerOnce(s, METHOD.register);

    const outcome = await s.reconciler.reconcile(callId);
    assert.deepEqual(outcome, { status: "waiting", waitFor: "callEnd" });
    const registers = s.portal.sentOf(METHOD.register);
    assert.equal(registers.length, 2);
    assert.deepEqual(registers[1], registers[0], "the stored parameters, not recomputed ones");
    assert.equal(s.tiny.callsOf(callId).length, 1);
    assert.equal(s.portal.count(METHOD.statistic), 0, "a live register needs no verification");
    const journal = await s.journal(callId);
    assert.ok(journal.register.doneAt);
    assert.deepEqual(journal.cardsShownTo, [3, 4]);
    assert.equal(journal.attempts, 0);
    assert.equal((await s.metrics.lastMinutes(5))["calls.unanswered"], 1);

    await s.calls.put(ended(callId));
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.tiny.callsOf(callId)[0]!.finishes, 1);
  });
});

describe("a register whose answer was lost, and the call ended before it was verified", () => {
  it("then the stored register is repeated alone (its portal call is still live) and finish follows: no wait, no check, one call", async () => {
    const s = setup();
    const callId = nextCallId();
    await s.calls.put(ringing(callId));
    let lost = 0;
    s.portal.failGroup = (group) => (has(group, METHOD.register) && lost++ < 2 ? ambiguous() : undefined);
    const first = await s.reconciler.reconcile(callId); // lost, repeated at once, lost again
    assert.equal(first.status, "retry");

    await s.calls.put(ended(callId));
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    const registers = s.portal.sentOf(METHOD.register);
    assert.equal(registers.length, 3);
    assert.ok(registers.every((r) => JSON.stringify(r) === JSON.stringify(registers[0])));
    assert.equal(s.portal.count(METHOD.statistic), 0);
    assert.equal(s.tiny.callsOf(callId).length, 1);
    assert.equal(s.tiny.callsOf(callId)[0]!.finishes, 1);
  });
});

describe("a register+finish whose answer was lost", () => {
  it("given the portal ran it, then one statistic check finds it and the call is delivered: one extra request", async () => {
    const s = setup();
    const callId = nextCallId();
    await s.calls.put(ended(callId));
    loseAnswerOnce(s, METHOD.register);

    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.register), 1);
    assert.equal(s.portal.count(METHOD.statistic), 1);
    assert.equal(s.tiny.callsOf(callId).length, 1);
    const journal = await s.journal(callId);
    assert.equal(journal.bxCallId, "externalCall.1");
    assert.equal(journal.failed, undefined);
  });

  it("given the portal did not run it, then the job waits out the in-flight window from the LAST attempt, checks again and re-sends register with the same parameters", async () => {
    let clock = Date.parse("2026-01-05T10:00:00.000Z");
    const s = setup({ now: () => new Date(clock), config: { workers: { inFlightWindowMs: 60_000 } } });
    const callId = nextCallId();
    await s.calls.put(ended(callId));
    loseAnswerOnce(s, METHOD.register, false);

    const first = await s.reconciler.reconcile(callId);
    assert.equal(first.status, "retry");
    assert.equal(first.status === "retry" && first.delayMs, 60_000, "window from the unanswered outcome");
    assert.equal(s.portal.count(METHOD.statistic), 1);
    assert.equal((await s.journal(callId)).attempts, 0, "waiting for the window is not an attempt");

    clock += 30_000;
    const early = await s.reconciler.reconcile(callId);
    assert.equal(early.status === "retry" && early.delayMs, 30_000);
    clock += 30_001;
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    const registers = s.portal.sentOf(METHOD.register);
    assert.equal(registers.length, 2);
    assert.deepEqual(registers[1], registers[0]);
    assert.equal(s.tiny.callsOf(callId).length, 1);
    assert.equal(s.tiny.callsOf(callId)[0]!.finishes, 1);
  });
});

describe("a finish whose answer was lost", () => {
  async function registeredThenEnded(s: ReturnType<typeof setup>): Promise<string> {
    const callId = nextCallId();
    await s.calls.put(ringing(callId));
    await s.reconciler.reconcile(callId);
    await s.calls.put(ended(callId));
    return callId;
  }

  it("given the portal ran it, then the statistics say so and finish is never sent again", async () => {
    const s = setup();
    const callId = await registeredThenEnded(s);
    loseAnswerOnce(s, METHOD.finish);
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.finish), 1);
    assert.equal(s.portal.count(METHOD.statistic), 1);
    const journal = await s.journal(callId);
    assert.ok(journal.finish?.doneAt);
    assert.equal(journal.failed, undefined);
  });

  it("given it ran only after the check, then the re-sent finish hears 'Call is not found', the statistics are asked again, and the call is delivered — never failed", async () => {
    const s = setup();
    const callId = await registeredThenEnded(s);
    let firstFinish: CrmCommand | undefined;
    const answer = s.portal.answer;
    s.portal.answer = (c) => {
      if (sameMethod(c.method, METHOD.finish) && !firstFinish) {
        firstFinish = c; // held back: it runs at the portal later
        return ok(null);
      }
      if (sameMethod(c.method, METHOD.finish) && firstFinish) answer(firstFinish); // …now, just before ours
      return answer(c);
    };
    s.portal.failGroup = (group) =>
      has(group, METHOD.finish) && s.portal.count(METHOD.finish) === 1 ? ambiguous() : undefined;

    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.finish), 2);
    assert.equal(s.portal.count(METHOD.statistic), 2, "no record yet, then the record");
    assert.equal(s.tiny.callsOf(callId).length, 1);
    assert.equal(s.tiny.callsOf(callId)[0]!.finishes, 1);
    const journal = await s.journal(callId);
    assert.equal(journal.failed, undefined);
    assert.equal(journal.finish?.notFoundAt, undefined);
  });
});

describe("card groups whose answer was lost", () => {
  it("then the cards are planned and sent again (show and hide are safe to repeat)", async () => {
    const s = setup();
    const callId = nextCallId();
    await s.calls.put(ringing(callId));
    await s.reconciler.reconcile(callId);
    await s.calls.put(new Timeline(callId).dial(1, "102", "103").answer(4, "102").state());
    loseAnswerOnce(s, METHOD.hide);
    assert.deepEqual(await s.reconciler.reconcile(callId), { status: "waiting", waitFor: "callEnd" });
    const hides = s.portal.sentOf(METHOD.hide);
    assert.equal(hides.length, 2);
    assert.deepEqual(hides[1]!.params.USER_ID, [4]);
    assert.deepEqual((await s.journal(callId)).cardsShownTo, [3]);
  });
});

describe("a hold", () => {
  const held = (retryAfterMs?: number) =>
    new DeliveryError(
      "held",
      { code: "INVALID_CREDENTIALS", description: "Invalid request credentials", retryable: false },
      0,
      retryAfterMs,
    );

  it("then nothing was sent: the intents go, the job comes back after the hold's probe (with jitter), no attempt is counted", async () => {
    const s = setup({ random: () => 1 });
    const callId = nextCallId();
    await s.calls.put(ended(callId));
    s.portal.failGroup = () => held(20_000);
    const outcome = await s.reconciler.reconcile(callId);
    assert.equal(outcome.status, "retry");
    assert.equal(outcome.status === "retry" && outcome.delayMs, 24_000, "probe time + 20 % jitter");
    const journal = await s.journal(callId);
    assert.equal(journal.attempts, 0);
    assert.equal(journal.register.intentAt, undefined, "nothing ran: no intent left to verify");
    assert.ok(journal.heldSince);

    for (let i = 0; i < 5; i++) await s.reconciler.reconcile(callId); // more than workers.jobAttempts
    assert.equal((await s.journal(callId)).failed, undefined, "a hold never fails a call");

    s.portal.failGroup = () => undefined;
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.statistic), 0, "no verification after a hold");
    assert.equal((await s.journal(callId)).heldSince, undefined);
  });

  it("given a call held longer than workers.maxHoldSec, then it is failed with HELD_TOO_LONG and the cause, for re-processing", async () => {
    let clock = Date.parse("2026-01-05T10:00:00.000Z");
    const s = setup({ now: () => new Date(clock), config: { workers: { maxHoldSec: 3600 } } });
    const callId = nextCallId();
    await s.calls.put(ended(callId));
    s.portal.failGroup = () => held();
    assert.equal((await s.reconciler.reconcile(callId)).status, "retry");
    clock += 3_600_000;
    const outcome = await s.reconciler.reconcile(callId);
    assert.equal(outcome.status, "failed");
    const journal = await s.journal(callId);
    assert.equal(journal.failed?.code, "HELD_TOO_LONG");
    assert.match(journal.failed?.reason ?? "", /INVALID_CREDENTIALS/);
    assert.notEqual(await s.redis.zscore(s.keys.failedCalls, callId), null);
  });
});

describe("a group that provably did not run (retries exhausted on refusals)", () => {
  it("then its intents go: the next attempt sends it again without a check", async () => {
    const s = setup();
    const callId = nextCallId();
    await s.calls.put(ended(callId));
    let refused = true;
    s.portal.failGroup = () =>
      refused
        ? new DeliveryError(
            "retries_exhausted",
            { code: "QUERY_LIMIT_EXCEEDED", description: "x", retryable: true },
            5,
          )
        : undefined;
    assert.equal((await s.reconciler.reconcile(callId)).status, "retry");
    const journal = await s.journal(callId);
    assert.equal(journal.attempts, 1);
    assert.equal(journal.register.intentAt, undefined);
    refused = false;
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.statistic), 0);
  });
});
