/**
 * Live calls of every kind, placed through the app on the real Asterisk (one e2e stack for all), for
 * the live-vs-rebuilt comparison: each scenario sets up its phones, places its call and resolves when
 * the call is in the emulator's CRM (or, for an internal call, when the app's model has ended it).
 * Scenarios in one wave use disjoint operators and caller ports, so a wave runs concurrently.
 */
import type { CallState } from "../../../core/calls/types.ts";
import { hasLinphone, startLinphone } from "../../support/linphone.ts";
import {
  placeCall,
  placeOperatorCall,
  startClient,
  type PhoneHandle,
  type PlaceCallOptions,
} from "../../support/sipp.ts";
import { waitForCrmCall, type Stack, type StackOptions } from "../../support/stack.ts";

export const DID = {
  ringall: "4951500001",
  sequential: "4951500002",
  ivr: "4951500003",
  blind: "4951500004",
  support: "4951500005",
  attended: "4951500006",
  early: "4951500007",
  missed: "4951500008",
  operatorEnds: "4951500009",
};

export const STACK_OPTIONS: StackOptions = {
  cardMode: "ring",
  recording: true,
  groups: {
    ringall: { strategy: "ringall", members: [101, 102, 103], groupTimeoutSec: 10 },
    sequential: { strategy: "sequential", members: [104, 105], ringTimeoutSec: 3, groupTimeoutSec: 12 },
    ivrGroup: { strategy: "ringall", members: [107], groupTimeoutSec: 10 },
    blind: { strategy: "ringall", members: [109], groupTimeoutSec: 10 },
    support: { strategy: "ringall", members: [111], groupTimeoutSec: 10 },
    attended: { strategy: "ringall", members: [118], groupTimeoutSec: 10 },
    early: { strategy: "ringall", members: [115], groupTimeoutSec: 20 },
    missed: { strategy: "ringall", members: [117], groupTimeoutSec: 4 },
    operatorEnds: { strategy: "ringall", members: [119], groupTimeoutSec: 10 },
  },
  dids: {
    [DID.ringall]: { group: "ringall" },
    [DID.sequential]: { group: "sequential" },
    [DID.ivr]: { group: "ivrGroup", ivr: { digitTimeoutSec: 2, maxDigits: 3, extensionRingTimeoutSec: 3 } },
    [DID.blind]: { group: "blind" },
    [DID.support]: { group: "support" },
    [DID.attended]: { group: "attended" },
    [DID.early]: { group: "early" },
    [DID.missed]: { group: "missed" },
    [DID.operatorEnds]: { group: "operatorEnds" },
  },
  config: {
    routing: {
      operators: [...range(101, 120), "301", "302", "303"],
      outboundRingTimeoutSec: 4,
    },
    crm: { registerInternal: true },
  },
};

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

export interface Scenario {
  name: string;
  /** Finds this scenario's call among the app's call states. */
  isCall(call: CallState): boolean;
  run(stack: Stack): Promise<void>;
}

/** Caller ports of this suite (the rest of 15070-15079 is left to other suites on a shared testbed). */
const CALLER_PORTS = [15075, 15076, 15077, 15078, 15079];
const busyPorts = new Set<number>();

async function client(options: Omit<PlaceCallOptions, "callerPort">): Promise<void> {
  const port = CALLER_PORTS.find((p) => !busyPorts.has(p));
  if (port === undefined) throw new Error("all caller ports of the records suite are busy");
  busyPorts.add(port);
  try {
    await placeCall({ ...options, callerPort: port });
  } finally {
    busyPorts.delete(port);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (n: string) => n.replace(/\D/g, "").slice(-10);
const byClient = (phone: string) => (c: CallState) => tail(c.clientNumber) === tail(phone);

/** An inbound scenario: phones, one client call, then its CRM record. */
function inbound(
  name: string,
  phone: string,
  phones: Record<number, Parameters<Stack["operator"]>[1]>,
  call: Omit<PlaceCallOptions, "callerPort" | "from">,
): Scenario {
  return {
    name,
    isCall: byClient(phone),
    async run(stack) {
      for (const [ext, behaviour] of Object.entries(phones)) await stack.operator(Number(ext), behaviour);
      await client({ from: phone, ...call });
      await waitForCrmCall(stack, { phone }, 30_000);
    },
  };
}

/** Inbound calls: ring groups, IVR, transfers, hang-ups. Disjoint operators: they run at once. */
export const INBOUND_WAVE: Scenario[] = [
  inbound(
    "ringall-busy-noanswer-answered",
    "74951500101",
    { 101: "busy", 102: "noAnswer", 103: { answerAfterMs: 1000 } },
    { to: DID.ringall, talkMs: 3000, expectAnswer: true },
  ),
  inbound(
    "sequential-first-misses",
    "74951500102",
    { 104: "noAnswer", 105: { answerAfterMs: 500 } },
    { to: DID.sequential, talkMs: 3000, expectAnswer: true },
  ),
  inbound(
    "ivr-extension-answers",
    "74951500103",
    { 106: { answerAfterMs: 800 } },
    { to: DID.ivr, dtmf: "106", talkMs: 5000, expectAnswer: true },
  ),
  inbound(
    "blind-transfer",
    "74951500104",
    {
      109: { blindTransfer: { answerAfterMs: 500, afterMs: 2000, to: "110" } },
      110: { answerAfterMs: 1000 },
    },
    { to: DID.blind, talkMs: 7000, expectAnswer: true },
  ),
  inbound(
    "transfer-to-support",
    "74951500105",
    {
      111: { blindTransfer: { answerAfterMs: 500, afterMs: 2000, to: "301" } },
      301: { answerAfterMs: 1000 },
    },
    { to: DID.support, talkMs: 7000, expectAnswer: true },
  ),
];

export const SECOND_WAVE: Scenario[] = [
  inbound(
    "ivr-extension-misses-group-answers",
    "74951500106",
    { 108: "noAnswer", 107: { answerAfterMs: 500 } },
    { to: DID.ivr, dtmf: "108", talkMs: 9000, expectAnswer: true },
  ),
  inbound(
    "caller-hangs-up-while-ringing",
    "74951500107",
    { 115: "noAnswer" },
    { to: DID.early, hangupBeforeAnswerMs: 2000, expectAnswer: false },
  ),
  inbound(
    "nobody-answers",
    "74951500108",
    { 117: "noAnswer" },
    { to: DID.missed, hangupBeforeAnswerMs: 30_000, expectAnswer: false },
  ),
  inbound(
    "operator-hangs-up",
    "74951500109",
    { 119: { answerAfterMs: 500, talkMs: 2500 } },
    { to: DID.operatorEnds, maxTalkMs: 20_000, expectAnswer: true },
  ),
  {
    name: "internal",
    isCall: (c) => c.direction === "internal" && c.originExtension === "113" && c.lineNumber === "114",
    async run(stack) {
      await stack.operator(114, { answerAfterMs: 700 });
      await placeOperatorCall({ fromExtension: 113, to: "114", talkMs: 2500, expectAnswer: true });
      await waitForCrmCall(stack, (c) => c.PHONE_NUMBER.endsWith("113"), 30_000);
    },
  },
];

/** Outbound calls share the one client phone behind the trunk: one at a time. */
function outbound(
  name: string,
  number: string,
  behaviour: Parameters<typeof startClient>[0]["behaviour"],
  operatorGivesUpAfterMs = 15_000,
) {
  return {
    name,
    isCall: (c: CallState) => c.direction === "outbound" && tail(c.clientNumber) === tail(number),
    async run(stack: Stack) {
      let phone: PhoneHandle | undefined;
      try {
        phone = await startClient({ behaviour });
        const answers = typeof behaviour === "object";
        await placeOperatorCall({
          fromExtension: 112,
          to: number,
          ...(answers ? { talkMs: 3000 } : { hangupBeforeAnswerMs: operatorGivesUpAfterMs }),
          expectAnswer: answers,
        });
        await waitForCrmCall(stack, { phone: number }, 30_000);
      } finally {
        await phone?.stop();
      }
    },
  } satisfies Scenario;
}

export const OUTBOUND: Scenario[] = [
  outbound("outbound-answered", "84951500201", { answerAfterMs: 1000 }),
  outbound("outbound-busy", "84951500202", "busy"),
  outbound("outbound-no-answer", "84951500203", "noAnswer"),
  outbound("outbound-operator-gives-up", "84951500204", "noAnswer", 1500),
];

/** Attended transfer by a real soft-phone (118 consults 116, then transfers the client to it). */
export const ATTENDED: Scenario = {
  name: "attended-transfer",
  isCall: byClient("74951500110"),
  async run(stack) {
    if (!hasLinphone) throw new Error("linphonec is not installed (run scripts/install-deps.sh)");
    await stack.operator(116, { answerAfterMs: 500 });
    const phone = await startLinphone(118);
    try {
      const talk = client({ from: "74951500110", to: DID.attended, talkMs: 12_000, expectAnswer: true });
      await waitForApp(stack, (c) => c.clientNumber.endsWith("4951500110") && c.phase === "talking");
      await sleep(1500);
      phone.send("pause 1");
      await sleep(1000);
      phone.send(`call sip:116@${stack.testbed.sip.host}:${stack.testbed.sip.port}`);
      await waitForApp(stack, (c) => c.originExtension === "118" && c.phase === "talking");
      await sleep(1500);
      phone.send("transfer 1 --to-call 2");
      await talk;
      await waitForCrmCall(stack, { phone: "74951500110" }, 30_000);
    } catch (err) {
      process.stderr.write(`linphonec output:\n${phone.output().slice(-3000)}\n`);
      throw err;
    } finally {
      await phone.stop();
    }
  },
};

async function waitForApp(stack: Stack, predicate: (c: CallState) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await stack.appCalls()).some(predicate)) {
    if (Date.now() > deadline) throw new Error(`no such call in the app after ${timeoutMs} ms`);
    await sleep(100);
  }
}
