/**
 * Every caller reaches the CRM, registered for the right user, end to end on the real Asterisk:
 * - withheld caller ids as trunks send them (`"Anonymous" <sip:anonymous@anonymous.invalid>`, a From
 *   without a user part, a caller id in another script) are answered and land in the CRM under the
 *   placeholder `0000000000`, one call each, with the right user, status and duration; a caller id of
 *   Arabic-Indic digits lands under the number it is;
 * - with crm.defaultUserId set, an unknown caller who waits in the IVR and then reaches 120 is
 *   registered for 120's user — the lead the portal creates belongs to 120 from the start, not to the
 *   default user — while a caller who hangs up in the IVR (no CRM user involved) is the default user's.
 * The calls of each test run at the same time, each on its own DID (the CRM call's LINE_NUMBER).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { CrmCall } from "../../support/e2eCrm.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = {
  anonymous: "4951190001",
  empty: "4951190002",
  otherScript: "4951190003",
  arabicDigits: "4951190004",
  ivr: "4951190005",
  ivrHangup: "4951190006",
};
const PLACEHOLDER = "0000000000";
const DEFAULT_USER = 1; // the emulator seed's administrator, no operator phone

interface Lead {
  ID: number;
  ASSIGNED_BY_ID: number;
  PHONE: { VALUE: string }[];
}
type CrmCallWithEntity = CrmCall & { CRM_ENTITY_TYPE: string | null; CRM_ENTITY_ID: number | null };

async function emulatorState(stack: Stack): Promise<{ calls: CrmCallWithEntity[]; leads: Lead[] }> {
  const response = await fetch(`${stack.emulator.url}/_emulator/state`);
  return (await response.json()) as { calls: CrmCallWithEntity[]; leads: Lead[] };
}

const onLine = (line: string) => (c: CrmCall) => c.LINE_NUMBER === line;

/** The app's call model of the call on `line`: what Asterisk gave as the caller id. */
async function callerIdSeenBy(stack: Stack, line: string): Promise<string[]> {
  return (await stack.appCalls()).filter((c) => c.lineNumber === line).map((c) => c.clientNumber);
}

describe("e2e: withheld numbers and the register user", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      groups: {
        a: { members: [116], groupTimeoutSec: 10 },
        b: { members: [117], groupTimeoutSec: 10 },
        c: { members: [118], groupTimeoutSec: 10 },
        d: { members: [119], groupTimeoutSec: 10 },
        ivrGroup: { members: [113], groupTimeoutSec: 10 },
      },
      dids: {
        [DID.anonymous]: { group: "a" },
        [DID.empty]: { group: "b" },
        [DID.otherScript]: { group: "c" },
        [DID.arabicDigits]: { group: "d" },
        [DID.ivr]: {
          group: "ivrGroup",
          ivr: { digitTimeoutSec: 3, maxDigits: 3, extensionRingTimeoutSec: 10 },
        },
        [DID.ivrHangup]: { group: "ivrGroup", ivr: { digitTimeoutSec: 10, maxDigits: 3 } },
      },
      config: {
        crm: { defaultUserId: DEFAULT_USER },
        routing: { operators: ["113", "116", "117", "118", "119", "120"] },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given callers with anonymous, empty and other-script caller ids, when each talks 3 s, then each is in the CRM once under 0000000000, with its operator's user, 200 and 3 s", async () => {
    await Promise.all([116, 117, 118, 119].map((ext) => stack.operator(ext, { answerAfterMs: 500 })));
    const talk = { talkMs: 3500, expectAnswer: true } as const;
    await Promise.all([
      clientCalls({
        from: "anonymous",
        fromName: "Anonymous",
        fromDomain: "anonymous.invalid",
        to: DID.anonymous,
        ...talk,
      }),
      clientCalls({ from: "", to: DID.empty, ...talk }),
      clientCalls({ from: "非通知", to: DID.otherScript, ...talk }),
      clientCalls({ from: "٧٤٩٥١١٩٠٠٤٤", to: DID.arabicDigits, ...talk }),
    ]);

    // The trunk really delivered these caller ids to the app (else this test would prove nothing).
    assert.deepEqual(await callerIdSeenBy(stack, DID.anonymous), ["anonymous"]);
    assert.deepEqual(await callerIdSeenBy(stack, DID.empty), [""]);
    const otherScript = await callerIdSeenBy(stack, DID.otherScript);
    assert.equal(otherScript.length, 1);
    assert.doesNotMatch(otherScript[0]!, /[0-9]/, `no ASCII digit in ${otherScript[0]}`);
    const arabic = await callerIdSeenBy(stack, DID.arabicDigits);
    assert.equal(arabic.length, 1);
    assert.doesNotMatch(arabic[0]!, /[0-9]/, `the digits arrived in their own script: ${arabic[0]}`);

    const expected: [string, number, string][] = [
      [DID.anonymous, 116, PLACEHOLDER],
      [DID.empty, 117, PLACEHOLDER],
      [DID.otherScript, 118, PLACEHOLDER],
      [DID.arabicDigits, 119, "+74951190044"],
    ];
    for (const [line, ext, phone] of expected) {
      const call = await waitForCrmCall(stack, onLine(line));
      assert.equal(call.PHONE_NUMBER, phone, `PHONE_NUMBER of the call on ${line}`);
      expectFinished(call, {
        type: 2,
        userId: userOf(ext),
        status: "200",
        durationSec: 3,
        toleranceSec: 1.5,
      });
      assert.equal((await stack.crmCalls()).filter(onLine(line)).length, 1, `one CRM call on ${line}`);
    }
    const { calls } = await emulatorState(stack);
    const withheld = calls.filter((c) => c.PHONE_NUMBER === PLACEHOLDER);
    assert.equal(withheld.length, 3);
    const entities = new Set(withheld.map((c) => `${c.CRM_ENTITY_TYPE} ${c.CRM_ENTITY_ID}`));
    assert.equal(entities.size, 1, `the withheld calls gather on one CRM entity: ${[...entities]}`);
  });

  test("given crm.defaultUserId, when an unknown caller waits in the IVR and reaches 120, then the call is registered for 120's user and the new lead is 120's from the start; a caller who hangs up in the IVR is the default user's", async () => {
    await stack.operator(113, { answerAfterMs: 500 });
    const chosen = await stack.operator(120, { answerAfterMs: 1500 });
    const caller = "74951190050";
    const reached = clientCalls({
      from: caller,
      to: DID.ivr,
      dtmf: "120",
      dtmfDelayMs: 2500, // long enough for the worker to see the caller in the IVR first
      talkMs: 9000,
      expectAnswer: true,
    });
    const hungUp = clientCalls({ from: "74951190051", to: DID.ivrHangup, talkMs: 2500, expectAnswer: true });

    // While 120 talks, the lead the register created already belongs to 120's user.
    await chosen.waitFor((s) => s.answered === 1, 15_000);
    await sleep(1000);
    const live = await emulatorState(stack);
    const liveCall = live.calls.find(onLine(DID.ivr));
    assert.ok(liveCall, `the call is registered while 120 talks: ${JSON.stringify(live.calls)}`);
    assert.equal(liveCall.state, "registered");
    assert.equal(liveCall.USER_ID, userOf(120), "register's USER_ID");
    assert.equal(liveCall.CRM_ENTITY_TYPE, "LEAD");
    const lead = live.leads.find((l) => l.ID === liveCall.CRM_ENTITY_ID);
    assert.ok(lead, "the lead created for the unknown caller");
    assert.equal(lead.ASSIGNED_BY_ID, userOf(120), "the lead's responsible before finish");

    await Promise.all([reached, hungUp]);
    const call = await waitForCrmCall(stack, onLine(DID.ivr));
    assert.equal(call.USER_ID, userOf(120), "registered for 120's user");
    // DTMF ends ~3.1 s after the IVR answered, 120 answers 1.5 s later, the caller hangs up 9 s after
    // the DTMF: ~7.5 s of conversation.
    expectFinished(call, {
      type: 2,
      userId: userOf(120),
      status: "200",
      durationSec: 7.5,
      toleranceSec: 1.5,
    });
    assert.equal((await stack.crmCalls()).filter(onLine(DID.ivr)).length, 1);

    const ivrOnly = await waitForCrmCall(stack, onLine(DID.ivrHangup));
    assert.equal(ivrOnly.USER_ID, DEFAULT_USER, "no CRM user involved: registered for the default user");
    assert.equal(ivrOnly.finish?.USER_ID, DEFAULT_USER);
    assert.equal(ivrOnly.finish?.STATUS_CODE, "304");
  });
});
