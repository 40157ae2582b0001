import { ATTENDED } from "./callCentre.ts";
import { soakMix, type SoakCall } from "./mix.ts";
import type { PlacedCall } from "./observe.ts";
import type { SoakPhones } from "./phones.ts";
import type { PbxAddress } from "../testbed/sipp/scenarios.ts";
import type { SoftPhone } from "./softPhone.ts";

/**
 * Places the soak's calls on a fixed schedule (N per second, however long each one lasts), the
 * attended transfers with the soft-phone (one at a time: while it is busy, such a call is placed as
 * a plain sales call and counted as skipped).
 */

export interface PlacingOptions {
  cps: number;
  total: number;
  seed: number;
  /** Every n-th call is an attended transfer (0: none). */
  attendedEvery: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Placing {
  placed: PlacedCall[];
  startSpanSec: number;
  attended: { placed: number; skipped: number; failed: number };
}

/** Starts calls on a fixed schedule and resolves when every caller has hung up. */
export async function placeCalls(
  o: PlacingOptions,
  phones: SoakPhones,
  softPhone: SoftPhone | undefined,
  pbx: PbxAddress,
): Promise<Placing> {
  const { total } = o;
  const attendedEvery = softPhone ? o.attendedEvery : 0;
  const mix = soakMix({ seed: o.seed, attendedEvery })[Symbol.iterator]();
  const placed: PlacedCall[] = [];
  const running: Promise<void>[] = [];
  const attended = { placed: 0, skipped: 0, failed: 0 };
  let softPhoneBusy = false;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / o.cps - Date.now();
    if (wait > 0) await sleep(wait);
    let call = mix.next().value as SoakCall;
    if (call.scenario === "attendedTransfer" && softPhoneBusy) {
      attended.skipped++;
      call = { ...call, scenario: "salesRingall", did: "74957000001" };
    }
    const record: PlacedCall = { call, callerEvents: [] };
    placed.push(record);
    if (call.scenario === "attendedTransfer" && softPhone) {
      attended.placed++;
      softPhoneBusy = true;
      running.push(
        placeAttended(record, phones, softPhone, pbx).finally(() => {
          softPhoneBusy = false;
          if (record.error !== undefined) attended.failed++;
        }),
      );
    } else running.push(placeOne(record, phones));
    if (i > 0 && i % Math.max(1, Math.round(o.cps * 60)) === 0) o.log(`${i} calls placed…`);
  }
  const startSpanSec = total > 1 ? ((Date.now() - t0) / 1000) * (total / (total - 1)) : 1;
  await Promise.all(running);
  return { placed, startSpanSec, attended };
}

async function placeOne(record: PlacedCall, phones: SoakPhones): Promise<void> {
  const run = await phones.place(record.call);
  record.callerEvents = run.events;
  if (run.error !== undefined) record.error = run.error;
}

async function placeAttended(record: PlacedCall, phones: SoakPhones, soft: SoftPhone, pbx: PbxAddress) {
  const operator = soft
    .attendedTransfer(record.call.clientNumber, ATTENDED.consultExtension, pbx, {
      talkMs: 3000,
      consultMs: 2000,
      timeoutMs: 60_000,
    })
    .then((times) => (record.attended = times))
    .catch((err: Error) => {
      record.error = `attended transfer: ${err.message}\n${soft.tail(8)}`;
    });
  await Promise.all([placeOne(record, phones), operator]);
}
