/**
 * The portal away while a worker polls `event.offline.get` (closed-network click-to-call): first two
 * polls time out, then the portal's front answers 502 — the portal never sees the requests. The poll
 * backs off (far fewer requests than the interval would make), logs the spell once when it starts and
 * once when it ends, publishes it for `/status`, and once the portal is back every event queued there
 * meanwhile reaches the app's stream exactly once. Real Redis, the strict emulator, a fault proxy.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { decodeStreamedEvent } from "../../../core/crm/crmEventStream.ts";
import { offlinePollReport } from "../../../core/status/offlinePollStatus.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from "../../support/faultProxy.ts";
import { Harness, waitFor } from "./workerHarness.ts";

const POLL_MS = 200;
const OUTAGE_MS = 6000;

const isPoll = (r: ProxiedRequest) => `${r.path} ${r.body}`.includes("event.offline.get");

describe("workers: the portal away while offline events are polled", () => {
  const h = new Harness();
  let proxy: FaultProxy;
  let worker: CallWorker;
  const lines: { level: number; msg: string }[] = [];

  before(async () => {
    await h.start();
    proxy = await startFaultProxy(h.emulator.url);
    h.config = parseConfig({
      ...h.config,
      bitrix: {
        ...h.config.bitrix,
        requestTimeoutMs: 1000,
        auth: {
          type: "oauth",
          restUrl: `${proxy.url}/rest/`,
          oauthUrl: `${h.emulator.url}/oauth/token/`,
          clientId: "local.itgrix.demo",
          clientSecret: "demo-client-secret",
          accessToken: "demo-access-token",
          refreshToken: "demo-refresh-token",
        },
      },
      events: { delivery: "offline", offlinePollMs: POLL_MS },
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    worker = await startCallWorker(h.config, pino({ level: "info" }, sink));
  });
  after(async () => {
    await worker?.close();
    await proxy?.close();
    await h.stop();
  });

  async function queueCallback(phone: string): Promise<void> {
    const res = await fetch(`${h.emulator.url}/_emulator/events/fire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event: "ONEXTERNALCALLBACKSTART",
        data: { PHONE_NUMBER: phone, LINE_NUMBER: "4951110080" },
        offline: true,
      }),
    });
    assert.equal(((await res.json()) as { queued: number }).queued, 1);
  }

  async function streamed(): Promise<string[]> {
    const entries = await h.redis.xrange(h.keys.crmEventStream, "-", "+");
    return entries.map(([, fields]) => {
      const event = decodeStreamedEvent(fields[fields.indexOf("event") + 1]);
      return String(event?.data.PHONE_NUMBER);
    });
  }

  async function pollState() {
    return offlinePollReport(await h.redis.hgetall(h.keys.heartbeats).then(parseAll));
  }

  test("given the portal away for 6 s with events queued meanwhile, then polling backs off, logs the spell once, shows it, and hands every event over once when the portal is back", async () => {
    await queueCallback("+74951200081");
    await waitFor("the first event in the stream", async () => (await streamed()).length === 1);

    proxy.add({ name: "timeouts", match: isPoll, answer: "hold", unforwarded: true, times: 2 });
    proxy.add({
      name: "away",
      match: isPoll,
      answer: "502",
      unforwarded: true,
      times: 1e6,
      after: "timeouts",
    });
    const awayAt = Date.now();
    const pollsBefore = proxy.requests.filter(isPoll).length;
    for (const phone of ["+74951200082", "+74951200083", "+74951200084"]) await queueCallback(phone);
    const during = await waitFor("the spell in the published state", async () => {
      const state = await pollState();
      return state?.failingSince ? state : undefined;
    });
    assert.ok(during.lastError, JSON.stringify(during));
    await new Promise((r) => setTimeout(r, Math.max(0, awayAt + OUTAGE_MS - Date.now())));
    const outagePolls = proxy.requests.filter(isPoll).length - pollsBefore;
    proxy.lift("timeouts");
    proxy.lift("away");
    assert.deepEqual(await streamed(), ["+74951200081"], "nothing came while the portal was away");

    await waitFor("every queued event in the stream", async () => (await streamed()).length >= 4, 20_000);
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    const phones = await streamed();
    assert.deepEqual(
      [...phones].sort(),
      ["+74951200081", "+74951200082", "+74951200083", "+74951200084"],
      "each event handed over once",
    );
    const without = Math.round(OUTAGE_MS / POLL_MS);
    assert.ok(outagePolls <= 8, `backed off: ${outagePolls} polls in ${OUTAGE_MS} ms (${without} without)`);
    const spellLogs = lines.filter((l) => /poll failed; backing off/.test(l.msg));
    assert.equal(spellLogs.length, 1, "the spell is logged once, not per poll");
    assert.equal(lines.filter((l) => /polling again/.test(l.msg)).length, 1, "its end once");
    const after = await waitFor("the spell over in the published state", async () => {
      const state = await pollState();
      return state && !state.failingSince ? state : undefined;
    });
    assert.ok(after.lastOkAt);
    process.stdout.write(
      `# portal away ${OUTAGE_MS} ms: ${outagePolls} polls (${without} without back-off)\n`,
    );
  });
});

function parseAll(all: Record<string, string>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as Record<string, unknown>]),
  );
}
