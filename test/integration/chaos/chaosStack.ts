import assert from "node:assert/strict";
import type { CallState } from "../../../core/calls/types.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { METHOD } from "../../../workers/calls/commands.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import {
  batchGroups,
  cites,
  commandWith,
  startFaultProxy,
  type FaultAnswer,
  type FaultProxy,
} from "../../support/faultProxy.ts";
import { Harness, waitFor } from "../workers/workerHarness.ts";

/**
 * One chaos stack: private Redis, the strict emulator, the fault proxy in front of it, one in-process
 * worker. `run(shape, fault)` drives one call through the step whose answer is lost and waits for it
 * to be delivered; `inCrmOnce` checks what the portal holds.
 */

export type Shape = "registerOnly" | "registerAndFinish" | "finishOnly" | "cards";
export const SHAPES: Shape[] = ["registerOnly", "registerAndFinish", "finishOnly", "cards"];
export const FAULTS: FaultAnswer[] = ["hold", "reset", "502", "html200"];

export const ringing = (id: string): CallState => new Timeline(id).dial(1, "102", "103").state();
export const answered = (id: string): CallState =>
  new Timeline(id).dial(1, "102", "103").answer(4, "102").state();
/** Answered by 102 (user 3) at 4 s, over at 34 s: finish 200, 30 s, user 3. */
export const ended = (id: string): CallState =>
  new Timeline(id).dial(1, "102", "103").answer(4, "102").end(34).state();

export interface Outcome {
  callId: string;
  shape: Shape;
  /** The fault the call's batch actually got (another call's, when their batches mixed). */
  fault: FaultAnswer | "none";
  /** When the portal's answer was lost, and when the call was verified and delivered (ms). */
  lostAt?: number;
  settledAt?: number;
}

export class ChaosStack {
  readonly h = new Harness();
  proxy!: FaultProxy;
  worker!: CallWorker;
  private seq = 0;

  constructor(
    private readonly idPrefix: string,
    private readonly requestTimeoutMs: number,
  ) {}

  async start(workers: Record<string, unknown> = {}): Promise<void> {
    await this.h.start({
      workers: { concurrency: 40, jobBackoffMs: 100, inFlightWindowMs: 2_000, jobLockMs: 15_000, ...workers },
    });
    this.proxy = await startFaultProxy(this.h.emulator.url);
    this.h.portalVia(this.proxy.url, {
      requestTimeoutMs: this.requestTimeoutMs,
      retry: { baseDelayMs: 50, maxDelayMs: 300, maxAttempts: 3 },
    });
    this.worker = await startCallWorker(this.h.config, createLogger("test", "silent"));
    await waitFor("the directory", async () => this.worker.directory.size > 0);
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.proxy?.close();
    await this.h.stop();
  }

  newCallId(): string {
    this.seq++;
    return `${this.idPrefix}${String(this.seq).padStart(3, "0")}.${this.seq}`;
  }

  registered(callId: string): Promise<string> {
    return waitFor(`register of ${callId}`, async () => (await this.h.journal(callId))?.bxCallId, 20_000);
  }

  async run(shape: Shape, fault: FaultAnswer | "none"): Promise<Outcome> {
    const { h } = this;
    const callId = this.newCallId();
    const name = `${shape}/${fault}/${callId}`;
    const loseAnswer = (method: string, value: string) => {
      if (fault !== "none") this.proxy.add({ name, match: commandWith(method, value), answer: fault });
    };
    if (shape === "registerOnly") {
      loseAnswer(METHOD.register, callId);
      await h.publish(ringing(callId));
      await this.registered(callId);
    } else if (shape === "registerAndFinish") {
      loseAnswer(METHOD.register, callId);
    } else {
      await h.publish(ringing(callId));
      const bx = await this.registered(callId);
      if (shape === "finishOnly") loseAnswer(METHOD.finish, bx);
      else {
        const shown = async (users: string) => (await h.journal(callId))?.cardsShownTo.join() === users;
        await waitFor("cards shown", () => shown("3,4"), 20_000);
        loseAnswer(METHOD.hide, bx);
        await h.publish(answered(callId));
        await waitFor("the losing card hidden", () => shown("3"), 20_000);
      }
    }
    await h.publish(ended(callId), "ended");
    await waitFor(`delivery of ${name}`, () => h.isDelivered(callId), 30_000);
    const journal = (await h.journal(callId))!;
    const lost = this.proxy.applied.find((a) => a.rule === name);
    const settled = shape === "registerOnly" ? journal.register.doneAt : journal.deliveredAt;
    return {
      callId,
      shape,
      fault: lost?.answer ?? fault,
      lostAt: lost?.at,
      settledAt: settled ? Date.parse(settled) : undefined,
    };
  }

  /** One call at the portal for the call's EXTERNAL_CALL_ID, finished by user 3 (200, 30 s), not failed. */
  async inCrmOnce(o: Outcome): Promise<void> {
    const what = `${o.shape}/${o.fault} (${o.callId})`;
    const calls = await this.h.callsFor(o.callId);
    assert.equal(calls.length, 1, `${what}: exactly one call`);
    const [call] = calls;
    assert.equal(call!.state, "finished", what);
    assert.deepEqual(
      { user: call!.finish?.USER_ID, status: call!.finish?.STATUS_CODE, duration: call!.finish?.DURATION },
      { user: 3, status: "200", duration: 30 },
      what,
    );
    assert.deepEqual(call!.cardShownTo, [], `${what}: no card left open`);
    assert.equal(await this.h.redis.zscore(this.h.keys.failedCalls, o.callId), null, `${what}: not failed`);
  }

  /** Requests (batches) and commands that carried this call's groups, from the proxy's log. */
  async load(callId: string): Promise<{ requests: number; commands: number; statistic: number }> {
    const bx = (await this.h.callsFor(callId))[0]?.CALL_ID ?? "-";
    const mine = (group: string[]) => group.some((c) => cites(c, callId) || cites(c, bx));
    const batches = this.proxy.requests
      .map((r) => batchGroups(r.body).filter(mine))
      .filter((g) => g.length > 0);
    const commands = batches.flat(2);
    return {
      requests: batches.length,
      commands: commands.length,
      statistic: commands.filter((c) => c.startsWith(METHOD.statistic)).length,
    };
  }
}
