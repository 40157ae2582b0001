import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Metrics } from "../../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../../core/redis/keys.ts";
import { METHOD, sameMethod } from "../../../workers/calls/commands.ts";
import { emptyJournal, type StepJournal } from "../../../workers/calls/journal.ts";
import type { CallReconciler } from "../../../workers/calls/reconcileCall.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { useRedis } from "../../support/redisServer.ts";
import { ok, reconcilerOn, type Answer, type ScriptedPortal } from "./scriptedPortal.ts";

/**
 * The reconciler's fault handling with a real Redis (journal, locks, indexes, counters) and a scripted
 * portal: a statistic check that cannot answer, the round limit, and end-of-call records that a
 * crashed worker left half written.
 */
const shared = useRedis();

const registered: Answer = (c) =>
  sameMethod(c.method, METHOD.statistic) ? ok([]) : ok({ CALL_ID: "externalCall.1", CRM_ACTIVITY_ID: 7 });

interface Setup {
  reconciler: CallReconciler;
  portal: ScriptedPortal;
  keys: RedisKeys;
  metrics: Metrics;
  callId: string;
}

let seq = 0;

async function setup(answer: Answer, options: { now?: () => Date } = {}): Promise<Setup> {
  const s = reconcilerOn(shared.redis, answer, options);
  const callId = `1742000${String(++seq).padStart(3, "0")}.${seq}`;
  await s.calls.put(new Timeline(callId).dial(1, "102").answer(4, "102").end(34).state());
  return { ...s, callId };
}

async function storeJournal(s: Setup, journal: StepJournal): Promise<void> {
  await shared.redis.set(s.keys.journal(s.callId), JSON.stringify(journal));
}

async function journalOf(s: Setup): Promise<StepJournal> {
  return JSON.parse((await shared.redis.get(s.keys.journal(s.callId)))!) as StepJournal;
}

/** A worker died after sending register+finish of an ended call, long ago: only the intents remain. */
function crashedJournal(callId: string): StepJournal {
  const long = new Date(Date.now() - 3600_000).toISOString();
  return {
    ...emptyJournal(callId),
    register: { intentAt: long },
    finish: { intentAt: long, statusCode: "200", duration: 30, userId: 3 },
  };
}

const inIndex = async (key: string, callId: string): Promise<boolean> =>
  (await shared.redis.zscore(key, callId)) !== null;

describe("statistic check after a crash", () => {
  it("given voximplant.statistic.get is refused for good (METHOD_NOT_FOUND), then register+finish is never re-sent: the job retries, then the call fails at step statistic", async () => {
    const s = await setup((c) =>
      sameMethod(c.method, METHOD.statistic)
        ? {
            ok: false,
            error: { code: "ERROR_METHOD_NOT_FOUND", description: "Method not found!", retryable: false },
          }
        : registered(c),
    );
    await storeJournal(s, crashedJournal(s.callId));

    const first = await s.reconciler.reconcile(s.callId);
    assert.equal(first.status, "retry", JSON.stringify(first));
    assert.equal(s.portal.count(METHOD.register), 0, "not registered again on an unanswered check");
    assert.equal((await journalOf(s)).attempts, 1);

    const second = await s.reconciler.reconcile(s.callId); // workers.jobAttempts: 2
    assert.equal(second.status, "failed");
    const journal = await journalOf(s);
    assert.equal(journal.failed?.step, "statistic");
    assert.equal(journal.failed?.code, "ERROR_METHOD_NOT_FOUND");
    assert.match(second.status === "failed" ? second.reason : "", /^statistic: ERROR_METHOD_NOT_FOUND/);
    assert.ok(await inIndex(s.keys.failedCalls, s.callId));
    assert.equal(await inIndex(s.keys.undeliveredCalls, s.callId), false);
    assert.equal(s.portal.count(METHOD.register) + s.portal.count(METHOD.finish), 0);
  });

  it("given a retryable statistic error, then the job retries and the next check decides", async () => {
    let limited = true;
    const s = await setup((c) => {
      if (!sameMethod(c.method, METHOD.statistic)) return registered(c);
      if (limited)
        return {
          ok: false,
          error: { code: "QUERY_LIMIT_EXCEEDED", description: "Too many", retryable: true },
        };
      return ok([{ CALL_ID: "externalCall.9", EXTERNAL_CALL_ID: s.callId, CALL_DURATION: 30 }]);
    });
    await storeJournal(s, crashedJournal(s.callId));
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "retry");
    limited = false;
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.equal((await journalOf(s)).bxCallId, "externalCall.9");
    assert.equal(s.portal.count(METHOD.register), 0, "the statistic record proved the call registered");
  });
});

describe("round limit", () => {
  it("given an ended call that still has steps after the round limit, then the job comes back (retry) and delivers what is left", async () => {
    // A portal that answers register without a CALL_ID keeps the call unregistered round after round.
    let clock = Date.now();
    let broken = true;
    const s = await setup(
      (c) => {
        if (sameMethod(c.method, METHOD.register)) return broken ? ok({}) : registered(c);
        return sameMethod(c.method, METHOD.statistic) ? ok([]) : ok(true);
      },
      { now: () => new Date((clock += 5_000)) }, // every in-flight window is over at once
    );
    const first = await s.reconciler.reconcile(s.callId);
    assert.equal(first.status, "retry", JSON.stringify(first));
    broken = false;
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.ok(await inIndex(s.keys.deliveredCalls, s.callId));
  });
});

describe("end-of-call records after a crash", () => {
  const delivered = (callId: string): StepJournal => {
    const at = new Date(Date.now() - 60_000).toISOString();
    return {
      ...emptyJournal(callId),
      bxCallId: "externalCall.5",
      registeredFor: 3,
      register: { intentAt: at, doneAt: at },
      finish: { intentAt: at, doneAt: at, statusCode: "200", duration: 30, userId: 3 },
      deliveredAt: at,
    };
  };

  it("given the journal says delivered but the worker died before the index, then the next reconcile adds it, counted once", async () => {
    const s = await setup(registered);
    const journal = delivered(s.callId);
    await storeJournal(s, journal);
    assert.ok(await inIndex(s.keys.undeliveredCalls, s.callId));

    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.equal(
      Number(await shared.redis.zscore(s.keys.deliveredCalls, s.callId)),
      Date.parse(journal.deliveredAt!),
    );
    assert.equal(await inIndex(s.keys.undeliveredCalls, s.callId), false);
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.equal((await s.metrics.lastMinutes(5))["calls.processed"], 1, "counted once");
    assert.equal(s.portal.sent.length, 0, "nothing sent again");
  });

  it("given the journal says failed but the worker died before the index, then the next reconcile adds it, counted once", async () => {
    const s = await setup(registered);
    const at = new Date(Date.now() - 60_000).toISOString();
    const reason = "finish: ERROR_CORE: User is not found or is not active";
    await storeJournal(s, {
      ...delivered(s.callId),
      deliveredAt: undefined,
      finish: { intentAt: at, statusCode: "200", duration: 30, userId: 3 },
      failed: { reason, code: "ERROR_CORE", at, step: "finish" },
    });

    assert.deepEqual(await s.reconciler.reconcile(s.callId), { status: "failed", reason });
    assert.equal(Number(await shared.redis.zscore(s.keys.failedCalls, s.callId)), Date.parse(at));
    assert.equal(await inIndex(s.keys.undeliveredCalls, s.callId), false);
    await s.reconciler.reconcile(s.callId);
    const counters = await s.metrics.lastMinutes(5);
    assert.equal(counters["calls.failed"], 1, "counted once");
    assert.equal(counters["errors.ERROR_CORE"], 1);
    assert.equal(s.portal.sent.length, 0);
  });

  it("given a delivered call, then calls.processed is counted once and the call leaves undeliveredCalls", async () => {
    const s = await setup(registered);
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.equal((await s.metrics.lastMinutes(5))["calls.processed"], 1);
    assert.equal(await inIndex(s.keys.undeliveredCalls, s.callId), false);
    assert.equal(s.portal.count(METHOD.register), 1);
  });
});

describe("unexpected errors", () => {
  it("given a job's last attempt failed unexpectedly, then the call is recorded as failed with the error", async () => {
    const s = await setup(registered);
    await s.reconciler.jobFailed(s.callId, new Error("Connection is closed."), false);
    assert.equal(await inIndex(s.keys.failedCalls, s.callId), false, "not before the last attempt");
    await s.reconciler.jobFailed(s.callId, new Error("Connection is closed."), true);
    const journal = await journalOf(s);
    assert.equal(journal.failed?.code, "INTERNAL");
    assert.match(journal.failed?.reason ?? "", /INTERNAL: Connection is closed\./);
    assert.ok(await inIndex(s.keys.failedCalls, s.callId));
    assert.equal(await inIndex(s.keys.undeliveredCalls, s.callId), false);
    const counters = await s.metrics.lastMinutes(5);
    assert.equal(counters["errors.INTERNAL"], 2);
    assert.equal(counters["calls.failed"], 1);
  });
});

describe("a PHONE_NUMBER the portal refuses", () => {
  it("then the same reconcile registers the call under the placeholder: delivered, not failed", async () => {
    const s = await setup((c) => {
      if (sameMethod(c.method, METHOD.register) && c.params.PHONE_NUMBER !== "0000000000") {
        const error = {
          code: "ERROR_CORE",
          description: "Unsupported phone number format",
          retryable: false,
        };
        return { ok: false, error };
      }
      return registered(c);
    });
    assert.equal((await s.reconciler.reconcile(s.callId)).status, "delivered");
    assert.deepEqual(
      s.portal.sentOf(METHOD.register).map((c) => c.params.PHONE_NUMBER),
      ["+74951234567", "0000000000"],
    );
    const journal = await journalOf(s);
    assert.equal(journal.register.refusedNumber, "+74951234567");
    assert.equal(journal.failed, undefined);
  });
});
