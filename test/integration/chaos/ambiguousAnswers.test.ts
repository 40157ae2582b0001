import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { METHOD } from "../../../workers/calls/commands.ts";
import { batchCommands, commandWith } from "../../support/faultProxy.ts";
import { waitFor } from "../workers/workerHarness.ts";
import { ChaosStack, ended, FAULTS, ringing, SHAPES, type Outcome } from "./chaosStack.ts";

/**
 * Ambiguous answers, full stack: a real worker, real Redis, the strict emulator, and a proxy between
 * them that lets a batch RUN at the portal and then loses its answer (client timeout, connection
 * reset, 502 page, HTML 200). For register-only, register+finish, finish-only and card groups under
 * each fault, every call must be in the CRM exactly once, finished once, with the right user, status
 * and duration, and none marked failed.
 */

describe("chaos: the portal runs a batch and its answer is lost — every shape under every fault at once", () => {
  const stack = new ChaosStack("1745000", 3_000);
  before(() => stack.start());
  after(() => stack.stop());

  it("then one call per EXTERNAL_CALL_ID, finished once, right user/status/duration, none failed", async () => {
    // Started 150 ms apart; batches of several calls still mix now and then, and then every call in
    // the batch loses its answer — the more faults, the better.
    const plans = SHAPES.flatMap((shape) =>
      (["none", ...FAULTS] as const).map((fault) => ({ shape, fault })),
    );
    const outcomes = await Promise.all(
      plans.map(async ({ shape, fault }, i) => {
        await new Promise((r) => setTimeout(r, i * 150));
        return stack.run(shape, fault);
      }),
    );
    assert.deepEqual(stack.proxy.pending(), [], "every fault was applied");
    for (const a of stack.proxy.applied)
      assert.equal(a.portalStatus, 200, `${a.rule}: the portal ran the batch`);
    for (const o of outcomes) await stack.inCrmOnce(o);
  });
});

describe("chaos: one ambiguous outcome at a time — what it costs", () => {
  const stack = new ChaosStack("1745200", 1_000);
  before(() => stack.start());
  after(() => stack.stop());

  it("then each lost answer costs exactly one extra request, and a call without faults none (figures printed)", async (t) => {
    const lines = [
      "shape / fault: extra requests, extra commands, ms from the lost answer to verified+delivered",
    ];
    lines.push("(register-only: to re-registered; hold includes the client's 1 s request timeout)");
    for (const shape of SHAPES) {
      const control = await stack.run(shape, "none");
      await stack.inCrmOnce(control);
      const base = await stack.load(control.callId);
      assert.equal(base.statistic, 0, `${shape}: nothing ambiguous, no verification`);
      for (const fault of FAULTS) {
        const o = await stack.run(shape, fault);
        await stack.inCrmOnce(o);
        const cost = await stack.load(o.callId);
        assert.equal(cost.requests - base.requests, 1, `${shape}/${fault}: one extra request`);
        const ms = o.lostAt && o.settledAt ? o.settledAt - o.lostAt : Number.NaN;
        lines.push(`${shape} / ${fault}: +1, +${cost.commands - base.commands}, ${ms} ms`);
      }
    }
    t.diagnostic(lines.join("\n"));
  });
});

describe("chaos: a finish's answer is lost and it runs at the portal only later", () => {
  const stack = new ChaosStack("1745100", 3_000);
  before(() => stack.start());
  after(() => stack.stop());

  it("given the statistics found nothing yet, then the re-sent finish hears 'Call is not found', is verified again, and the call is delivered once — never failed", async () => {
    const { h, proxy } = stack;
    const callId = stack.newCallId();
    await h.publish(ringing(callId));
    const bx = await stack.registered(callId);
    // the first finish: a 502 at once, the portal runs it 1 s later; the second: a slow portal (2 s)
    const finishOf = commandWith(METHOD.finish, bx);
    proxy.add({ name: "late", match: finishOf, answer: "502", answerFirst: true, forwardAfterMs: 1_000 });
    proxy.add({ name: "slow", after: "late", match: finishOf, answer: "pass", forwardAfterMs: 2_000 });
    await h.publish(ended(callId), "ended");
    await waitFor("delivery", () => h.isDelivered(callId), 30_000);

    assert.deepEqual(proxy.pending(), []);
    const outcome: Outcome = { callId, shape: "finishOnly", fault: "502" };
    await stack.inCrmOnce(outcome);
    const statistic = proxy.requests
      .flatMap((r) => batchCommands(r.body))
      .filter((c) => c.startsWith(METHOD.statistic));
    assert.equal(statistic.length, 2, "no record yet, then the record after 'Call is not found'");
    const journal = (await h.journal(callId))!;
    assert.equal(journal.finish?.notFoundAt, undefined);
    assert.ok(journal.finish?.doneAt);
  });
});
