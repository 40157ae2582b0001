/** Shared expectations of the end-to-end scenarios (what one CRM call must look like). */
import assert from "node:assert/strict";
import { describeCardLog, type CrmCall } from "../../support/e2eCrm.ts";
import { placeCall, type CallResult, type PlaceCallOptions } from "../../support/sipp.ts";

/** Caller ports these tests use (the rest of 15070-15079 belongs to other suites on a shared testbed). */
const CALLER_PORTS = [15075, 15076, 15077, 15078, 15079];
const busyPorts = new Set<number>();

/** A client calling a DID from one of the e2e caller ports. */
export async function clientCalls(options: Omit<PlaceCallOptions, "callerPort">): Promise<CallResult> {
  const port = CALLER_PORTS.find((p) => !busyPorts.has(p));
  if (port === undefined) throw new Error("all e2e caller ports are busy");
  busyPorts.add(port);
  try {
    return await placeCall({ ...options, callerPort: port });
  } finally {
    busyPorts.delete(port);
  }
}

/** The CRM user of an operator extension in the emulator's default seed (101 → 2 … 120 → 21). */
export function userOf(extension: number): number {
  return extension - 99;
}

export interface Expected {
  userId: number;
  status: string;
  /** Talk time in seconds, checked ±toleranceSec. */
  durationSec: number;
  toleranceSec?: number;
  type?: 1 | 2 | 4;
}

export function expectFinished(call: CrmCall, expected: Expected): void {
  const why = `CRM call ${JSON.stringify({ ...call, cardLog: describeCardLog(call) })}`;
  assert.equal(call.state, "finished", why);
  assert.ok(call.finish, why);
  if (expected.type !== undefined) assert.equal(call.TYPE, expected.type, `TYPE; ${why}`);
  assert.equal(call.finish.USER_ID, expected.userId, `USER_ID; ${why}`);
  assert.equal(call.finish.STATUS_CODE, expected.status, `STATUS_CODE; ${why}`);
  const tolerance = expected.toleranceSec ?? 1;
  assert.ok(
    Math.abs(call.finish.DURATION - expected.durationSec) <= tolerance,
    `DURATION ${call.finish.DURATION}, expected ${expected.durationSec}±${tolerance}; ${why}`,
  );
  assert.deepEqual(call.cardShownTo, [], `no card left open; ${why}`);
}

/** The card log as `["show 11", "hide 11"]`. */
export function cardLogOf(call: CrmCall): string[] {
  return call.cardLog.map((e) => `${e.action} ${e.userId}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
