/**
 * The shipped customizations end to end, on the real Asterisk, sipp phones, PostgreSQL and the
 * Bitrix24 emulator, with one stack and the calls placed concurrently (each on its own DID and
 * operators):
 *
 * - A, transfer to Support: 115 answers and blind-transfers to 116 (group `support`):
 *   responsibleBeforeSupport → 115's user, talkWithoutSupport → only 115's ~2 s, activitySettings →
 *   the activity deadline is the call's end + 60 min and ADD_TO_CHAT=1 (A's line is a chat line);
 * - B, recording link from PostgreSQL: a row for the call's linkedid → attachRecord RECORD_URL with
 *   that link (the emulator downloads it); ADD_TO_CHAT=0 (not a chat line);
 * - C, missed on the IVR: the client chooses 113, who does not answer → 114 takes the call, and
 *   ivrMissedNotify sends 113's user an im.notify.personal.add;
 * - D, inner numbers: the toCrm rule makes extension 119 the CRM's inner number 120 → 120's user;
 * - E, a faulty folder customization: it throws in resolveResponsible and afterFinish and hangs in
 *   talkDuration past its limit on E's line → the call is still registered and finished with the
 *   connector's own values, and /status counts the error and the timeout.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openRecordsPool, type RecordsPool } from "../../../core/records/recordsDb.ts";
import { getTestbed } from "../../support/testbed.ts";
import { samePhone } from "../../support/e2eCrm.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = { A: "4951190001", B: "4951190002", C: "4951190003", D: "4951190004", E: "4951190005" };
const FROM = { A: "74951900001", B: "74951900002", C: "74951900003", D: "74951900004", E: "74951900005" };
const schema = `hooks_e2e_${randomBytes(4).toString("hex")}`;

const FAULTY = `
export default {
  description: "test: throws and hangs on one line",
  hooks: {
    resolveResponsible(ctx) {
      if (ctx.call.lineNumber === "${DID.E}") throw new Error("resolveResponsible exploded");
    },
    talkDuration(ctx) {
      if (ctx.call.lineNumber === "${DID.E}") return new Promise(() => {});
    },
    afterFinish(ctx) {
      if (ctx.call.lineNumber === "${DID.E}") throw new Error("afterFinish exploded");
    },
  },
};
`;

interface EmulatorActivity {
  ORIGIN_ID: string;
  DEADLINE?: string;
  START_TIME?: string;
}
interface EmulatorNotification {
  method: string;
  toUserId: number;
  message: string;
}
interface EmulatorState {
  activities: EmulatorActivity[];
  notifications: EmulatorNotification[];
  calls: { CALL_ID: string; EXTERNAL_CALL_ID: string; finish: { finishedAt: number } | null }[];
}

describe("e2e: the shipped customizations and a faulty one", () => {
  let stack: Stack;
  let pool: RecordsPool;
  let files: Server;
  let filesUrl = "";
  let folder = "";

  before(async () => {
    const tb = await getTestbed();
    pool = openRecordsPool({ url: tb.postgres.url, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, max: 1 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.links (linkedid text PRIMARY KEY, url text NOT NULL)`);
    files = createServer((_req, res) =>
      res.writeHead(200, { "content-type": "audio/mpeg" }).end(Buffer.alloc(2048)),
    );
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
    folder = mkdtempSync(join(tmpdir(), "itgrix-hooks-e2e-"));
    writeFileSync(join(folder, "faulty.mjs"), FAULTY);
    stack = await startStack({
      cardMode: "ring",
      groups: {
        gA: { strategy: "ringall", members: [115], groupTimeoutSec: 10 },
        support: { strategy: "ringall", members: [116], groupTimeoutSec: 10 },
        gB: { strategy: "ringall", members: [117], groupTimeoutSec: 10 },
        gC: { strategy: "ringall", members: [114], groupTimeoutSec: 10 },
        gD: { strategy: "ringall", members: [119], groupTimeoutSec: 10 },
        gE: { strategy: "ringall", members: [118], groupTimeoutSec: 10 },
      },
      dids: {
        [DID.A]: { group: "gA" },
        [DID.B]: { group: "gB" },
        [DID.C]: { group: "gC", ivr: { digitTimeoutSec: 3, maxDigits: 3, extensionRingTimeoutSec: 3 } },
        [DID.D]: { group: "gD" },
        [DID.E]: { group: "gE" },
      },
      config: {
        routing: { operators: ["113", "114", "115", "116", "117", "118", "119"] },
        cdr: { url: tb.postgres.url },
        hooks: {
          folder,
          watch: false,
          typeCheck: false,
          pointTimeLimitsMs: { talkDuration: 300 },
          // Outermost: the shipped layers below it decide without calling next().
          order: ["faulty"],
          shipped: {
            responsibleBeforeSupport: { options: { support: { groups: ["support"] } } },
            talkWithoutSupport: { options: { exclude: { groups: ["support"] } } },
            recordingLinkFromDb: { options: { table: `${schema}.links` } },
            innerNumbers: { options: { toCrm: [{ pattern: "^119$", replacement: "120" }] } },
            ivrMissedNotify: {},
            activitySettings: {
              options: {
                deadlineOffsetMin: 60,
                autoComplete: [{ directions: ["inbound"], statusCodes: ["200"] }],
                chatLines: [DID.A],
              },
            },
          },
        },
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool?.end();
    files?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test("given six shipped customizations and a faulty one, when five calls run at once, then each customization shows in the CRM and the faulty one changes nothing", async () => {
    await stack.operator(115, { blindTransfer: { answerAfterMs: 500, afterMs: 2000, to: "116" } });
    await stack.operator(116, { answerAfterMs: 800 });
    await stack.operator(117, { answerAfterMs: 500 });
    await stack.operator(113, "noAnswer");
    await stack.operator(114, { answerAfterMs: 500 });
    await stack.operator(119, { answerAfterMs: 500 });
    await stack.operator(118, { answerAfterMs: 500 });

    const link = `${filesUrl}/records/call-b.mp3`;
    const calls = Promise.all([
      clientCalls({ from: FROM.A, to: DID.A, talkMs: 7000, expectAnswer: true }),
      clientCalls({ from: FROM.B, to: DID.B, talkMs: 4000, expectAnswer: true }),
      clientCalls({ from: FROM.C, to: DID.C, dtmf: "113", talkMs: 7000, expectAnswer: true }),
      clientCalls({ from: FROM.D, to: DID.D, talkMs: 3000, expectAnswer: true }),
      clientCalls({ from: FROM.E, to: DID.E, talkMs: 3000, expectAnswer: true }),
    ]);
    // B's link is stored while the call runs, under its linkedid (as an external recorder would).
    const callB = await waitForAppCall(stack, FROM.B);
    await pool.query(`INSERT INTO ${schema}.links VALUES ($1, $2)`, [callB, link]);
    await calls;

    const [a, b, c, d, e] = await Promise.all([
      waitForCrmCall(stack, { phone: FROM.A }),
      waitForCrmCall(stack, { phone: FROM.B }, { records: 1 }),
      waitForCrmCall(stack, { phone: FROM.C }),
      waitForCrmCall(stack, { phone: FROM.D }),
      waitForCrmCall(stack, { phone: FROM.E }),
    ]);
    const state = await emulatorState(stack, [a.CALL_ID, c.CALL_ID]);

    // 1 + 2: the manager before Support owns the call; Support's talk does not count.
    expectFinished(a, { type: 2, userId: userOf(115), status: "200", durationSec: 2, toleranceSec: 1.5 });
    // 6: deadline = end + 60 min; a chat message for A's line only.
    assert.equal(a.finish!.ADD_TO_CHAT, 1);
    const activityA = state.activities.find((x) => x.ORIGIN_ID === `VI_${a.CALL_ID}`);
    assert.ok(activityA?.DEADLINE, `A's activity has a deadline: ${JSON.stringify(activityA)}`);
    const deadlineMin = (Date.parse(activityA.DEADLINE) - a.finish!.finishedAt) / 60_000;
    assert.ok(Math.abs(deadlineMin - 60) < 2, `deadline ${deadlineMin.toFixed(1)} min after the end`);

    // 3: the link from PostgreSQL is attached by URL.
    expectFinished(b, { type: 2, userId: userOf(117), status: "200", durationSec: 3.5, toleranceSec: 1.5 });
    assert.equal(b.finish!.ADD_TO_CHAT, 0);
    assert.deepEqual(
      b.records.map((r) => [r.fileName, r.via]),
      [["call-b.mp3", "url"]],
    );

    // 5: 113's user is told about the client who chose them in the IVR.
    expectFinished(c, { type: 2, userId: userOf(114), status: "200", durationSec: 3.5, toleranceSec: 2 });
    const notices = state.notifications.filter((n) => n.method === "im.notify.personal.add");
    assert.deepEqual(
      notices.map((n) => n.toUserId),
      [userOf(113)],
      JSON.stringify(notices),
    );
    assert.match(notices[0]!.message, /113/);

    // 4: extension 119 is the CRM's inner number 120.
    expectFinished(d, { type: 2, userId: userOf(120), status: "200", durationSec: 2.5, toleranceSec: 1.5 });

    // The faulty customization: the connector's own values, and /status counts the trouble.
    expectFinished(e, { type: 2, userId: userOf(118), status: "200", durationSec: 2.5, toleranceSec: 1.5 });
    const status = await stack.appStatus();
    const trouble = status.hooks.lastHour;
    assert.ok((trouble["errors.resolveResponsible"] ?? 0) >= 1, JSON.stringify(trouble));
    assert.ok((trouble["errors.afterFinish"] ?? 0) >= 1, JSON.stringify(trouble));
    assert.ok((trouble["timeouts.talkDuration"] ?? 0) >= 1, JSON.stringify(trouble));
    assert.deepEqual(
      status.hooks.app?.customizations.map((x) => x.name),
      [
        "faulty",
        "responsibleBeforeSupport",
        "talkWithoutSupport",
        "recordingLinkFromDb",
        "innerNumbers",
        "ivrMissedNotify",
        "activitySettings",
      ],
    );
  });
});

/** The app's call id (linkedid) of the client's call, once the app has it. */
async function waitForAppCall(stack: Stack, from: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const call = (await stack.appCalls()).find((c) => samePhone(c.clientNumber, from));
    if (call) return call.callId;
    await sleep(100);
  }
  throw new Error(`no app call from ${from}`);
}

/** The emulator's state once the event hooks of the given calls had time to act. */
async function emulatorState(stack: Stack, callIds: string[]): Promise<EmulatorState> {
  let state: EmulatorState | undefined;
  for (let i = 0; i < 50; i++) {
    state = (await (await fetch(`${stack.emulator.url}/_emulator/state`)).json()) as EmulatorState;
    const updated = callIds.every((id) =>
      state!.activities.some((x) => x.ORIGIN_ID === `VI_${id}` && x.DEADLINE),
    );
    const notified = state.notifications.length > 0;
    if (updated && notified) return state;
    await sleep(200);
  }
  return state!;
}
