import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../../core/logging/logger.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { startHarness as startHttpApi, type Harness as HttpApi } from "../http/httpHarness.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "./workerHarness.ts";

/**
 * `crm.recordDelivery: "url"` end to end: the workers send attachRecord with a signed RECORD_URL inside
 * a batch, the emulator fetches it from the app's real HTTP API (GET /recordings/…), no upload at all.
 */
describe('call workers with crm.recordDelivery "url"', () => {
  const KEY = "workers-signing-key-0123456789";
  const h = new Harness();
  let api: HttpApi;
  let apiRedis: TestRedis;
  let spoolDir: string;
  let worker: CallWorker;
  let seq = 0;
  const newCallId = (): string => `1742000${String(++seq).padStart(3, "0")}.${seq}`;

  before(async () => {
    spoolDir = await mkdtemp(join(tmpdir(), "itgrix-url-spool-"));
    await mkdir(join(spoolDir, "itgrix"));
    apiRedis = await startRedis(); // the API's own: its address must be known before the workers start
    api = await startHttpApi(apiRedis.url, { http: { signingKey: KEY }, recording: { spoolDir } });
    await h.start({
      crm: { recordDelivery: "url" },
      http: { publicUrl: api.base, signingKey: KEY },
      recording: { spoolDir },
    });
    worker = await startCallWorker(h.config, createLogger("test", "silent"));
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await apiRedis?.stop();
    await h.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it("given an answered call with a recording, then the portal holds it via RECORD_URL with the file's size, and nothing was uploaded", async () => {
    const callId = newCallId();
    const file = `itgrix/${callId}.wav`;
    await writeFile(join(spoolDir, file), Buffer.alloc(7777, 5));
    const since = (await h.emulatorState()).now;
    const t = new Timeline(callId).dial(1, "101", "102").answer(5, "102").recording(5, file).end(40);
    await h.publish(t.state(), "ended");
    await waitFor("delivery", () => h.isDelivered(callId));

    const [call, ...others] = await h.callsFor(callId);
    assert.equal(others.length, 0);
    assert.equal(call!.state, "finished");
    assert.equal(call!.records.length, 1);
    const record = call!.records[0]! as { fileName: string; via: string; size: number; url?: string };
    assert.deepEqual(
      { fileName: record.fileName, via: record.via, size: record.size },
      { fileName: `${callId}.wav`, via: "url", size: 7777 },
    );
    assert.ok(record.url?.startsWith(`${api.base}/recordings/${file}?exp=`), record.url);
    const requests = (await h.emulatorState()).requests.filter((r) => r.at >= since);
    assert.equal(requests.filter((r) => r.method === "upload").length, 0);
    const attach = requests.find((r) => r.commands?.some((c) => /attachrecord/i.test(c)));
    assert.equal(attach?.method, "batch");
    const journal = await h.journal(callId);
    assert.ok(journal?.record?.doneAt);
    const sig = new URL(record.url!).searchParams.get("sig")!;
    assert.ok(!api.logText().includes(sig), "the signature reached the app's log");
  });

  it("given a recording missing from the spool, then it is not sent, the call is delivered with the record error", async () => {
    const callId = newCallId();
    const since = (await h.emulatorState()).now;
    const t = new Timeline(callId)
      .dial(1, "103")
      .answer(5, "103")
      .recording(5, `itgrix/${callId}.wav`)
      .end(30);
    await h.publish(t.state(), "ended");
    await waitFor("delivery", () => h.isDelivered(callId));
    const [call] = await h.callsFor(callId);
    assert.equal(call!.state, "finished");
    assert.deepEqual(call!.records, []);
    const requests = (await h.emulatorState()).requests.filter((r) => r.at >= since);
    assert.ok(!requests.some((r) => r.commands?.some((c) => /attachrecord/i.test(c))));
    const journal = await h.journal(callId);
    assert.match(journal?.record?.error ?? "", /^RECORDING_MISSING/);
  });
});
