/**
 * sipp phones and callers for the integration tests and the demo, run inside the testbed's chroot.
 *
 * - `startOperator({ extension, behaviour })`: the phone of operator <extension> (UAS on 16000+ext).
 * - `startClient({ behaviour })`: the outside world reached by `PJSIP/<number>@trunk` (UAS on 15080).
 * - `placeCall({ from, to })`: a client calling a DID through the trunk (UAC from 15070-15079).
 * - `placeOperatorCall({ fromExtension, to })`: an operator dialling (UAC from 17000+ext, which
 *   Asterisk also identifies as that operator, so the same extension can ring and dial at once).
 * Every process is killed by `stop()` / `stopAll()`.
 */
import {
  CLIENT_PORT,
  TRUNK_CALLER_PORTS,
  operatorUacPort,
  operatorUasPort,
} from "../../testbed/pjsipConfig.ts";
import { SippProcess, stopAllSipp, udpPortBound, waitUntilBound } from "../../testbed/sipp/runner.ts";
import { renderUac, renderUas, type PbxAddress, type UasBehaviour } from "../../testbed/sipp/scenarios.ts";
import { getTestbed } from "./testbed.ts";

export type { UasBehaviour } from "../../testbed/sipp/scenarios.ts";

export interface PhoneStats {
  /** INVITEs received. */
  calls: number;
  answered: number;
  /** Calls that were CANCELled while ringing (answered 487). */
  cancelled: number;
  /** Calls refused with a final error response (486, 603, …). */
  refused: number;
  /** Calls the other side hung up (BYE received). */
  remoteHangups: number;
  /** Calls this phone hung up (BYE sent). */
  localHangups: number;
  /** REFERs sent and accepted with 202. */
  transfersAccepted: number;
}

export interface PhoneHandle {
  readonly port: number;
  calls(): number;
  stats(): PhoneStats;
  /** Resolves when `stats()` satisfies `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (stats: PhoneStats) => boolean, timeoutMs?: number): Promise<PhoneStats>;
  stop(): Promise<void>;
}

export interface CallResult {
  answered: boolean;
  /** 200 when answered, the final error code (486, 404, …), 487 when this caller cancelled, 0 if none. */
  statusCode: number;
  durationMs: number;
  /** Who ended an answered call. */
  hungUpBy?: "caller" | "remote";
  /** The scenario's log lines (INVITE, PROVISIONAL 180, ANSWERED, DTMF 1, …). */
  log: string[];
}

export interface CallOptions {
  /** Hang up this long after the answer (and the DTMF); by default wait for the far end's BYE. */
  talkMs?: number;
  /** Same as talkMs (kept for callers that say it this way). */
  hangupAfterMs?: number;
  /** CANCEL when not answered this long after the last provisional response (default 60 s). */
  hangupBeforeAnswerMs?: number;
  /** DTMF digits sent as SIP INFO after the answer. */
  dtmf?: string;
  /** Pause before the first digit, and between digits (defaults 500 / 300 ms). */
  dtmfDelayMs?: number;
  dtmfGapMs?: number;
  /** When set, the promise rejects if the call was (not) answered. */
  expectAnswer?: boolean;
  /** How long to wait for the far end's BYE when talkMs is not given (default 120 s). */
  maxTalkMs?: number;
}

export interface PlaceCallOptions extends CallOptions {
  /** Caller number (From user), e.g. 74951234567; `""` for none, `anonymous`, any script (%-escaped). */
  from: string;
  /** From display name (default: `from`); with `fromDomain` e.g. `"Anonymous" <sip:anonymous@anonymous.invalid>`. */
  fromName?: string;
  fromDomain?: string;
  /** The DID dialled, e.g. 4951112233. */
  to: string;
  /** 15070-15079, the ports Asterisk identifies as the trunk; a free one is picked by default. */
  callerPort?: number;
}

export interface PlaceOperatorCallOptions extends CallOptions {
  fromExtension: number;
  /** An outside number, or another extension. */
  to: string;
}

async function pbx(): Promise<{ root: string; address: PbxAddress }> {
  const info = await getTestbed();
  return { root: info.asterisk.root, address: { host: info.sip.host, port: info.sip.port } };
}

function tally(lines: string[]): PhoneStats {
  const count = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
  return {
    calls: count("INVITE "),
    answered: count("ANSWERED "),
    cancelled: count("CANCELLED "),
    refused: count("REFUSED "),
    remoteHangups: count("REMOTE_BYE "),
    localHangups: count("LOCAL_BYE "),
    transfersAccepted: count("REFER_ACCEPTED "),
  };
}

async function startPhone(name: string, port: number, extension: string, behaviour: UasBehaviour) {
  const { root, address } = await pbx();
  const proc = new SippProcess({
    root,
    name,
    scenarioXml: renderUas(behaviour, extension, address),
    localPort: port,
    extraArgs: [],
  });
  await waitUntilBound(proc, port);
  const stats = () => tally(proc.logLines());
  const handle: PhoneHandle = {
    port,
    calls: () => stats().calls,
    stats,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = stats();
        if (predicate(now)) return now;
        if (Date.now() > deadline)
          throw new Error(`${name}: condition not met in ${timeoutMs} ms: ${JSON.stringify(now)}`);
        if (!proc.isRunning()) throw new Error(`${name}: sipp exited: ${proc.lastStderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => proc.stop(),
  };
  return handle;
}

/** The phone of an operator: a sipp UAS on 16000+extension answering every call per `behaviour`. */
export function startOperator(options: { extension: number; behaviour: UasBehaviour }): Promise<PhoneHandle> {
  const { extension, behaviour } = options;
  return startPhone(`op${extension}`, operatorUasPort(extension), String(extension), behaviour);
}

/** Outside numbers called through the trunk (`PJSIP/<number>@trunk`): a sipp UAS on 15080. */
export function startClient(options: { behaviour: UasBehaviour }): Promise<PhoneHandle> {
  return startPhone("client", CLIENT_PORT, "client", options.behaviour);
}

const callerPortsInUse = new Set<number>();

function pickCallerPort(requested?: number): number {
  if (requested !== undefined) {
    if (requested < TRUNK_CALLER_PORTS.first || requested > TRUNK_CALLER_PORTS.last) {
      throw new Error(
        `callerPort ${requested} is outside ${TRUNK_CALLER_PORTS.first}-${TRUNK_CALLER_PORTS.last}`,
      );
    }
    return requested;
  }
  for (let p = TRUNK_CALLER_PORTS.first; p <= TRUNK_CALLER_PORTS.last; p++) {
    // Other processes (another test run, the demo) may be calling too: skip bound ports.
    if (!callerPortsInUse.has(p) && !udpPortBound(p)) return p;
  }
  throw new Error("all trunk caller ports 15070-15079 are busy");
}

async function runUac(
  name: string,
  port: number,
  from: string,
  to: string,
  options: CallOptions & Pick<PlaceCallOptions, "fromName" | "fromDomain">,
): Promise<CallResult> {
  if (options.dtmf && !/^[0-9*#A-D]*$/.test(options.dtmf))
    throw new Error(`bad DTMF digits: ${options.dtmf}`);
  const { root, address } = await pbx();
  const answerTimeoutMs = options.hangupBeforeAnswerMs ?? 60_000;
  const talkMs = options.talkMs ?? options.hangupAfterMs ?? options.maxTalkMs ?? 120_000;
  const dtmf = options.dtmf ?? "";
  const dtmfDelayMs = options.dtmfDelayMs ?? 500;
  const dtmfGapMs = options.dtmfGapMs ?? 300;
  const budgetMs = answerTimeoutMs + talkMs + dtmfDelayMs + dtmf.length * (dtmfGapMs + 1000) + 30_000;
  const proc = new SippProcess({
    root,
    name,
    scenarioXml: renderUac({
      from,
      fromName: options.fromName,
      fromDomain: options.fromDomain,
      to,
      answerTimeoutMs,
      talkMs,
      dtmf,
      dtmfDelayMs,
      dtmfGapMs,
    }),
    localPort: port,
    remote: `${address.host}:${address.port}`,
    extraArgs: ["-m", "1", "-s", to],
    maxSeconds: Math.ceil(budgetMs / 1000),
  });
  await proc.exited;
  const log = proc.logLines();
  const has = (prefix: string) => log.some((l) => l.startsWith(prefix));
  const status = log.find((l) => l.startsWith("STATUS "))?.split(" ")[1];
  const answered = has("ANSWERED ");
  const result: CallResult = {
    answered,
    statusCode: answered ? 200 : status ? Number(status) : has("CANCEL ") ? 487 : 0,
    durationMs: Date.now() - proc.startedAt,
    log,
  };
  if (answered) result.hungUpBy = has("REMOTE_BYE ") ? "remote" : "caller";
  if (options.expectAnswer !== undefined && options.expectAnswer !== answered) {
    const why = `${name}: expected ${options.expectAnswer ? "an answer" : "no answer"}, got ${JSON.stringify(result)}`;
    throw new Error(`${why}\n${proc.lastStderr}\n${proc.errors()}`);
  }
  return result;
}

/** A client calling a DID through the trunk; resolves when the sipp UAC exits. */
export async function placeCall(options: PlaceCallOptions): Promise<CallResult> {
  const port = pickCallerPort(options.callerPort);
  callerPortsInUse.add(port);
  try {
    return await runUac(`call-${port}`, port, options.from, options.to, options);
  } finally {
    callerPortsInUse.delete(port);
  }
}

/** An operator's phone dialling `to` (from 17000+ext; Asterisk identifies it as that endpoint). */
export function placeOperatorCall(options: PlaceOperatorCallOptions): Promise<CallResult> {
  const ext = options.fromExtension;
  return runUac(`opcall${ext}`, operatorUacPort(ext), String(ext), options.to, options);
}

/** Kills every sipp process this module started (test teardown). */
export function stopAll(): Promise<void> {
  return stopAllSipp();
}
