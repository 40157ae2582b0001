import { SOAK_CALLER_PORTS, operatorContactPort } from "../testbed/pjsipConfig.ts";
import { SippProcess, udpPortBound, waitUntilBound } from "../testbed/sipp/runner.ts";
import type { PbxAddress } from "../testbed/sipp/scenarios.ts";
import { PHONES, RING_MS } from "./callCentre.ts";
import type { SoakCall } from "./mix.ts";
import { renderCaller, renderPhones, type PhoneRole } from "./scenarios.ts";
import { parseSippLog, type SippEvent } from "./sippLog.ts";

/**
 * The soak's sipp side: the operator phones of callCentre.ts — one sipp UAS per contact port, so the
 * whole bank 121-159 is one process (testbed/pjsipConfig.ts SOAK_PHONE_BANK) and each Support phone
 * one more — and one sipp UAC per call from the soak's trunk caller ports. Everything they log is
 * read back with timestamps (soak/sippLog.ts): that is the truth the CRM is checked against.
 */

export interface CallerRun {
  events: SippEvent[];
  /** Why the call could not be placed (no free port, sipp could not start). */
  error?: string;
}

export class SoakPhones {
  private readonly phones = new Map<string, SippProcess>();
  private readonly callers = new Set<SippProcess>();
  private readonly portsInUse = new Set<number>();
  private nextPort: number = SOAK_CALLER_PORTS.first;

  constructor(
    private readonly root: string,
    private readonly pbx: PbxAddress,
  ) {}

  /** Starts every operator phone; resolves once each sipp has bound its port. */
  async startOperators(): Promise<void> {
    const byPort = new Map<number, Record<string, PhoneRole>>();
    for (const [ext, role] of Object.entries(PHONES)) {
      const port = operatorContactPort(Number(ext));
      byPort.set(port, { ...byPort.get(port), [ext]: role });
    }
    await Promise.all(
      [...byPort].map(async ([port, roles]) => {
        const proc = new SippProcess({
          root: this.root,
          name: `soak-phones${port}`,
          scenarioXml: renderPhones(roles, RING_MS, this.pbx),
          localPort: port,
          extraArgs: [],
        });
        this.phones.set(String(port), proc);
        await waitUntilBound(proc, port);
      }),
    );
  }

  /** Pids of the operator phones and of the callers running now, for the CPU/RSS probe. */
  phonePids(): number[] {
    return [...this.phones.values()].flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  callerPids(): number[] {
    return [...this.callers].flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Phone processes (by port) that died: their operators would look like people who never answer. */
  deadPhones(): string[] {
    return [...this.phones].filter(([, p]) => !p.isRunning()).map(([port]) => `sipp phones on ${port}`);
  }

  /** What the operator phones logged so far, by extension (the first argument of each event). */
  operatorEvents(): Map<string, SippEvent[]> {
    const byExtension = new Map<string, SippEvent[]>();
    for (const proc of this.phones.values()) {
      for (const e of parseSippLog(proc.logLines())) {
        const [ext, ...args] = e.args;
        if (ext === undefined) continue;
        const list = byExtension.get(ext) ?? [];
        list.push({ ...e, args });
        byExtension.set(ext, list);
      }
    }
    return byExtension;
  }

  /** Places one call and resolves when its caller has hung up (or given up). */
  async place(call: SoakCall): Promise<CallerRun> {
    const port = this.takePort();
    if (port === undefined) return { events: [], error: "every soak caller port is busy" };
    try {
      const proc = new SippProcess({
        root: this.root,
        name: `soak-call${call.seq}`,
        scenarioXml: renderCaller({
          from: call.clientNumber,
          to: call.did,
          answerTimeoutMs: call.answerTimeoutMs,
          talkMs: call.talkMs,
          dtmf: call.dtmf,
          dtmfDelayMs: 1500,
          dtmfGapMs: 300,
        }),
        localPort: port,
        remote: `${this.pbx.host}:${this.pbx.port}`,
        extraArgs: ["-m", "1", "-s", call.did],
        maxSeconds: Math.ceil((call.answerTimeoutMs + call.talkMs + 60_000) / 1000),
      });
      this.callers.add(proc);
      await proc.exited;
      this.callers.delete(proc);
      const events = parseSippLog(proc.logLines());
      if (events.length === 0) return { events, error: `sipp caller did not start: ${proc.lastStderr}` };
      return { events };
    } finally {
      this.portsInUse.delete(port);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.phones.values(), ...this.callers].map((p) => p.stop()));
  }

  /** The next caller port that neither this run nor another program holds. */
  private takePort(): number | undefined {
    const { first, last } = SOAK_CALLER_PORTS;
    const count = last - first + 1;
    for (let i = 0; i < count; i++) {
      const port = first + ((this.nextPort - first + i) % count);
      if (this.portsInUse.has(port) || udpPortBound(port)) continue;
      this.nextPort = port + 1 > last ? first : port + 1;
      this.portsInUse.add(port);
      return port;
    }
    return undefined;
  }
}
