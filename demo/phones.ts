import type { CallResult, PhoneHandle, UasBehaviour } from "../test/support/sipp.ts";
import { PHONES, type PhoneBehaviour } from "./callCentre.ts";
import type { ClientBehaviour, PlannedCall } from "./callMix.ts";

/**
 * The demo's phones on top of test/support/sipp.ts: the call centre's operator phones, the outside
 * world reached through the trunk (one UAS whose behaviour is switched between outbound calls; the
 * runner never overlaps outbound calls) and the callers.
 */
type Sipp = typeof import("../test/support/sipp.ts");

export interface CallEnd {
  result?: CallResult;
  error?: string;
  /** What the caller experienced: answered, busy, no answer, abandoned, … */
  outcome: string;
  endedAt: number;
}

/** The trunk's caller ports (testbed/pjsipConfig.ts TRUNK_CALLER_PORTS). */
const CALLER_PORTS = Array.from({ length: 10 }, (_, i) => 15070 + i);

export class DemoPhones {
  private client?: { behaviour: ClientBehaviour; handle: PhoneHandle };
  private readonly portsInUse = new Set<number>();
  private nextPort = 0;

  private constructor(private readonly sipp: Sipp) {}

  /** Loads the sipp helper (it reads ITGRIX_TESTBED) and starts every operator phone. */
  static async start(testbedJson: string): Promise<DemoPhones> {
    process.env.ITGRIX_TESTBED = testbedJson;
    const sipp = await import("../test/support/sipp.ts");
    const phones = new DemoPhones(sipp);
    await Promise.all(
      Object.entries(PHONES).map(([ext, b]) =>
        sipp.startOperator({ extension: Number(ext), behaviour: uasBehaviour(b) }),
      ),
    );
    await phones.useClient("answer");
    return phones;
  }

  async place(call: PlannedCall): Promise<CallEnd> {
    try {
      const result = call.direction === "inbound" ? await this.inbound(call) : await this.outbound(call);
      return { result, outcome: outcomeOf(result), endedAt: Date.now() };
    } catch (err) {
      return { error: (err as Error).message.split("\n")[0]!, outcome: "sipp error", endedAt: Date.now() };
    }
  }

  stop(): Promise<void> {
    return this.sipp.stopAll();
  }

  /**
   * Places an inbound call from the next free trunk caller port. A port taken by another process
   * (sipp cannot bind, its log stays empty) is skipped and the next one tried.
   */
  private async inbound(call: PlannedCall): Promise<CallResult> {
    for (let attempt = 0; attempt < CALLER_PORTS.length; attempt++) {
      const port = this.takePort();
      if (port === undefined) break;
      try {
        const result = await this.sipp.placeCall({
          from: call.clientNumber.replace(/^\+/, ""),
          to: call.did!,
          callerPort: port,
          talkMs: call.talkMs,
          hangupBeforeAnswerMs: call.hangupAfterRingMs ?? 60_000,
          ...(call.ivrDigits ? { dtmf: call.ivrDigits, dtmfDelayMs: 1500 } : {}),
        });
        if (!sippFailed(result)) return result;
      } finally {
        this.portsInUse.delete(port);
      }
    }
    throw new Error("sipp could not place the call: every trunk caller port (15070-15079) is taken");
  }

  private takePort(): number | undefined {
    for (let i = 0; i < CALLER_PORTS.length; i++) {
      const port = CALLER_PORTS[(this.nextPort + i) % CALLER_PORTS.length]!;
      if (!this.portsInUse.has(port)) {
        this.nextPort = (this.nextPort + i + 1) % CALLER_PORTS.length;
        this.portsInUse.add(port);
        return port;
      }
    }
    return undefined;
  }

  private async outbound(call: PlannedCall): Promise<CallResult> {
    await this.useClient(call.clientBehaviour ?? "answer");
    const result = await this.sipp.placeOperatorCall({
      fromExtension: Number(call.operator),
      to: call.clientNumber,
      talkMs: Math.max(call.talkMs, 1000),
      // Longer than routing.outboundRingTimeoutSec, so the PBX (not the operator) gives up on the client.
      hangupBeforeAnswerMs: 30_000,
    });
    if (sippFailed(result))
      throw new Error(`sipp could not place the call from ${call.operator} (port taken?)`);
    return result;
  }

  private async useClient(behaviour: ClientBehaviour): Promise<void> {
    if (this.client?.behaviour === behaviour) return;
    await this.client?.handle.stop();
    const uas: UasBehaviour =
      behaviour === "answer" ? { answerAfterMs: 1000 } : behaviour === "busy" ? "busy" : "noAnswer";
    this.client = { behaviour, handle: await this.sipp.startClient({ behaviour: uas }) };
  }
}

export function uasBehaviour(b: PhoneBehaviour): UasBehaviour {
  switch (b.kind) {
    case "answer":
      return { answerAfterMs: b.afterMs };
    case "busy":
      return "busy";
    case "noAnswer":
      return "noAnswer";
    case "reject":
      return "reject";
    case "blindTransfer":
      return { blindTransfer: { answerAfterMs: b.afterMs, afterMs: b.transferAfterMs, to: b.to } };
  }
}

/** sipp that could not even send the INVITE (e.g. its port is taken) leaves an empty log. */
export function sippFailed(r: CallResult): boolean {
  return !r.answered && r.statusCode === 0 && r.log.length === 0;
}

export function outcomeOf(r: CallResult): string {
  if (r.answered) return "answered";
  switch (r.statusCode) {
    case 487:
      return "abandoned";
    case 486:
      return "busy";
    case 0:
    case 408:
    case 480:
      return "no answer";
    default:
      return `SIP ${r.statusCode}`;
  }
}
