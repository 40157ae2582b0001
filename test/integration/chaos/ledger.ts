/**
 * What a chaos test placed and what it must find in the CRM afterwards: every call that reached the
 * app is there exactly once (0 lost, 0 doubled) with the right user, status and talk time; a call
 * handed to the dialplan's fallback (the app or its Redis away) is not there yet — re-processing from
 * Asterisk's CDR/CEL puts it in later — and a call that never reached Asterisk is nowhere.
 */
import assert from "node:assert/strict";
import { describeCardLog, samePhone, type CrmCall } from "../../support/e2eCrm.ts";
import { waitForCrmCall, type Stack } from "../../support/stack.ts";

export type Phase = "before" | "during" | "after";

export type Expected =
  | {
      kind: "crm";
      userId: number;
      status: string;
      /**
       * Talk time, ±toleranceSec (default 1.5); or [min, max] for a call that ended while the app
       * could not see it: the app knows only when it last saw the call and when it found it gone.
       */
      durationSec: number | [number, number];
      toleranceSec?: number;
    }
  /** Handed to (or taken by) the dialplan fallback: not in the CRM from the live path. */
  | { kind: "fallback" }
  /** Never reached Asterisk (it was down). */
  | { kind: "unreached" };

interface Entry {
  phone: string;
  phase: Phase;
  expected: Expected;
}

export class CallLedger {
  private readonly entries: Entry[] = [];
  private seq = 0;

  constructor(private readonly prefix: string) {}

  /** A fresh caller number for the next call. */
  phone(): string {
    return `${this.prefix}${String(++this.seq).padStart(4, "0")}`;
  }

  expect(phone: string, phase: Phase, expected: Expected): void {
    this.entries.push({ phone, phase, expected });
  }

  /** Waits for every expected CRM call, then checks the whole CRM against the ledger. */
  async verify(stack: Stack, timeoutMs = 60_000): Promise<string> {
    for (const e of this.entries.filter((x) => x.expected.kind === "crm")) {
      await waitForCrmCall(stack, { phone: e.phone }, timeoutMs);
    }
    const calls = await stack.crmCalls();
    const ids = calls.map((c) => c.EXTERNAL_CALL_ID);
    assert.equal(new Set(ids).size, ids.length, `0 doubled: one CRM call per EXTERNAL_CALL_ID: ${ids}`);
    for (const e of this.entries)
      checkEntry(
        e,
        calls.filter((c) => samePhone(c.PHONE_NUMBER, e.phone)),
      );
    const ours = calls.filter((c) => this.entries.some((e) => samePhone(c.PHONE_NUMBER, e.phone)));
    const crm = this.entries.filter((e) => e.expected.kind === "crm").length;
    assert.equal(ours.length, crm, "no CRM call beyond the expected ones");
    return this.summary();
  }

  summary(): string {
    const count = (phase: Phase, kind: Expected["kind"]) =>
      this.entries.filter((e) => e.phase === phase && e.expected.kind === kind).length;
    return (["before", "during", "after"] as const)
      .map(
        (p) =>
          `${p}: ${count(p, "crm")} in CRM, ${count(p, "fallback")} fallback, ${count(p, "unreached")} unreached`,
      )
      .join("; ");
  }
}

function checkEntry(e: Entry, found: CrmCall[]): void {
  const what = `${e.phase} call ${e.phone}`;
  if (e.expected.kind !== "crm") {
    assert.equal(found.length, 0, `${what} (${e.expected.kind}) is not in the CRM from the live path`);
    return;
  }
  assert.equal(found.length, 1, `${what}: 0 lost, 0 doubled (${found.length} CRM calls)`);
  const call = found[0]!;
  const why = `${what}: ${JSON.stringify({ ...call, cardLog: describeCardLog(call) })}`;
  assert.equal(call.state, "finished", why);
  assert.equal(call.finish?.USER_ID, e.expected.userId, `user; ${why}`);
  assert.equal(call.USER_ID, e.expected.userId, `registered to the right user; ${why}`);
  assert.equal(call.finish?.STATUS_CODE, e.expected.status, `status; ${why}`);
  const tolerance = e.expected.toleranceSec ?? 1.5;
  const duration = call.finish?.DURATION ?? -1;
  const [min, max] = Array.isArray(e.expected.durationSec)
    ? e.expected.durationSec
    : [e.expected.durationSec - tolerance, e.expected.durationSec + tolerance];
  assert.ok(
    duration >= min - 1 && duration <= max + 1,
    `duration ${duration} s, expected ${min}..${max}; ${why}`,
  );
  assert.deepEqual(call.cardShownTo, [], `no card left open; ${why}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Polls until `check` holds; the error names `what`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  everyMs = 100,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out (${timeoutMs} ms) waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * After the app's websocket went (cut, killed, closed), Asterisk deactivates the application only
 * once it has read the close: give it a moment, so a call placed next meets the dialplan's fallback
 * for sure. (`GET /applications/<app>` cannot tell: an application whose channels have explicit
 * subscriptions stays listed while inactive.)
 */
export function untilAppInactive(): Promise<void> {
  return sleep(500);
}
