import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { Delivery } from "../../../workers/delivery/delivery.ts";
import {
  control,
  countStatus,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  useEmulatorAndRedis,
} from "./harness.ts";

/**
 * Recording uploads go through the delivery pipeline: they take a slot of the shared limiter (bulk
 * lane) like a batch, and are retried like one, with the file re-opened for every attempt.
 */

const setup = useEmulatorAndRedis();
const FILE_BYTES = 3000;

interface Slot {
  callId: string;
  uploadUrl: string;
  fieldName: string;
}

/** Finished calls with an attachRecord upload slot each, made while the portal has no rate limit. */
async function uploadSlots(prefix: string, count: number): Promise<Slot[]> {
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }));
  const slots = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const externalId = `${prefix}-${i}`;
      const [, finish] = await h.delivery.send(finishedCall(externalId));
      assert.ok(finish!.ok, JSON.stringify(finish));
      const callId = (finish!.result as { CALL_ID: string }).CALL_ID;
      const [attach] = await h.delivery.send({
        callId: externalId,
        lane: "bulk",
        commands: [
          {
            method: "telephony.externalcall.attachRecord",
            params: { CALL_ID: callId, FILENAME: `${externalId}.wav` },
          },
        ],
      });
      assert.ok(attach!.ok, JSON.stringify(attach));
      return { callId: externalId, ...(attach!.result as { uploadUrl: string; fieldName: string }) };
    }),
  );
  await h.close();
  return slots;
}

/** Uploads every slot at once; counts how often each file was opened. */
async function uploadAll(delivery: Delivery, slots: Slot[]): Promise<{ opens: number[] }> {
  const opens = slots.map(() => 0);
  await Promise.all(
    slots.map((slot, i) =>
      delivery.upload({
        ...slot,
        fileName: `${slot.callId}.wav`,
        open: () => {
          opens[i]!++;
          return Readable.from([Buffer.alloc(FILE_BYTES, 7)]);
        },
      }),
    ),
  );
  return { opens };
}

async function recordsOf(prefix: string): Promise<{ via: string; size: number }[][]> {
  const state = (await emulatorState(setup.emulator.url)) as unknown as {
    calls: { EXTERNAL_CALL_ID: string; records: { via: string; size: number }[] }[];
  };
  return state.calls.filter((c) => c.EXTERNAL_CALL_ID.startsWith(`${prefix}-`)).map((c) => c.records);
}

test("given a small portal bucket and matching limits, when uploads and batches flow together, then no 503 and every file arrives once", async () => {
  const slots = await uploadSlots("paced", 24);
  const limit = { burst: 6, drainPerSec: 8 };
  await control(setup.emulator.url, "config", { rateLimit: limit });
  const since = (await emulatorState(setup.emulator.url)).now;
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({ auth: setup.webhook(), rateLimit: limit, batchMaxCommands: 4, parallelBatches: 4 }),
  );
  const batches = Promise.all(
    Array.from({ length: 16 }, (_, i) => h.delivery.send(finishedCall(`paced-batch-${i}`))),
  );
  const { opens } = await uploadAll(h.delivery, slots);
  const results = await batches;
  await h.close();
  assert.ok(results.every((r) => r.every((c) => c.ok)));
  const requests = (await emulatorState(setup.emulator.url)).requests.filter((r) => r.at >= since);
  assert.equal(requests.filter((r) => r.status === 503).length, 0, JSON.stringify(requests.slice(0, 5)));
  assert.equal(requests.filter((r) => r.method === "upload" && r.status === 200).length, 24);
  assert.deepEqual(
    opens,
    slots.map(() => 1),
  );
  const records = (await recordsOf("paced")).filter((r) => r.length > 0);
  assert.equal(records.length, 24);
  assert.ok(records.every((r) => r.length === 1 && r[0]!.via === "upload" && r[0]!.size === FILE_BYTES));
});

test("given a portal bucket smaller than configured, when uploads hit 503, then the limiter re-syncs, files are re-opened and all arrive", async (t) => {
  const slots = await uploadSlots("storm", 20);
  await control(setup.emulator.url, "config", { rateLimit: { burst: 3, drainPerSec: 10 } });
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({ auth: setup.webhook(), rateLimit: { burst: 50, drainPerSec: 10 }, parallelBatches: 4 }),
  );
  const { opens } = await uploadAll(h.delivery, slots);
  await h.close();
  const state = await emulatorState(setup.emulator.url);
  const n503 = countStatus(state, 503);
  t.diagnostic(`${n503} answers 503 for 20 uploads`);
  assert.ok(n503 > 0, "the storm did not happen");
  assert.ok(n503 <= 20, `${n503} answers 503 for 20 uploads`);
  const opened = opens.reduce((a, b) => a + b, 0);
  assert.equal(opened, 20 + n503, "every attempt opens the file afresh");
  const records = (await recordsOf("storm")).filter((r) => r.length > 0);
  assert.equal(records.length, 20);
  assert.ok(records.every((r) => r.length === 1 && r[0]!.size === FILE_BYTES));
});

test("given an upload the portal refuses for good, then it rejects at once with a permanent DeliveryError", async () => {
  const [slot] = await uploadSlots("refused", 1);
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }));
  const bogus = slot!.uploadUrl.replace(/token=[^&]+/, "token=telephony%7Cnope");
  let opens = 0;
  const open = () => {
    opens++;
    return Readable.from([Buffer.alloc(10, 1)]);
  };
  await assert.rejects(
    h.delivery.upload({ callId: "refused-0", uploadUrl: bogus, fieldName: "file", fileName: "x.wav", open }),
    (err: unknown) =>
      err instanceof DeliveryError &&
      err.reason === "permanent_error" &&
      err.lastError.code === "invalid_token",
  );
  assert.equal(opens, 1);
  await h.close();
  await assert.rejects(
    h.delivery.upload({ callId: "refused-0", uploadUrl: bogus, fieldName: "file", fileName: "x.wav", open }),
    (err: unknown) => err instanceof DeliveryError && err.reason === "closed",
  );
});

test("given a file that cannot be read, then the upload fails for good as RECORDING_UNREADABLE", async () => {
  const [slot] = await uploadSlots("unreadable", 1);
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }));
  const open = () =>
    new Readable({
      read() {
        this.destroy(new Error("EIO: disk on fire"));
      },
    });
  await assert.rejects(
    h.delivery.upload({ ...slot!, fileName: "x.wav", open }),
    (err: unknown) =>
      err instanceof DeliveryError &&
      err.reason === "permanent_error" &&
      err.lastError.code === "RECORDING_UNREADABLE",
  );
  await h.close();
});
