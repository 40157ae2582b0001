import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Renders the sipp scenario templates in test/sipp/. sipp does not substitute `-key` values inside
 * attributes such as `<recv timeout>` or `<pause milliseconds>`, so every number is written into the
 * XML before sipp starts.
 */
const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../test/sipp");

export interface PbxAddress {
  host: string;
  port: number;
}

/** How a sipp phone (UAS) answers each incoming call. */
export type UasBehaviour =
  | { answerAfterMs: number; talkMs?: number }
  | "busy"
  | "noAnswer"
  | "reject"
  | "unavailable"
  | { refuse: { code: number; reason: string; ringMs?: number } }
  | { blindTransfer: { answerAfterMs: number; afterMs: number; to: string } };

export interface UacCall {
  /** The caller id: the From URI's user part (`""`: none, like a withheld caller's trunk may send). */
  from: string;
  /** The From display name (default: `from` when it is printable ASCII). */
  fromName?: string;
  /** The From URI's host (default: the caller's own address), e.g. `anonymous.invalid`. */
  fromDomain?: string;
  to: string;
  /** CANCEL when no answer came this long after the last provisional response. */
  answerTimeoutMs: number;
  /** After the answer (and the DTMF), wait this long for a BYE, then send one. */
  talkMs: number;
  dtmf: string;
  dtmfDelayMs: number;
  dtmfGapMs: number;
}

function template(name: string): string {
  return readFileSync(join(SCENARIO_DIR, name), "utf8");
}

export function fill(text: string, values: Record<string, string | number>): string {
  const out = text.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`sipp scenario placeholder ${whole} has no value`);
    return String(value);
  });
  return out;
}

function positiveMs(ms: number): number {
  // sipp reads timeout="0" as "no timeout".
  return Math.max(1, Math.round(ms));
}

function refusal(code: number, reason: string, ringMs: number, pbx: PbxAddress): string {
  return fill(template("uas-final.xml"), {
    CODE: code,
    REASON: reason,
    RING_MS: positiveMs(ringMs),
    PBX_HOST: pbx.host,
    PBX_PORT: pbx.port,
  });
}

export function renderUas(behaviour: UasBehaviour, extension: string, pbx: PbxAddress): string {
  const base = { PBX_HOST: pbx.host, PBX_PORT: pbx.port, EXTENSION: extension };
  if (behaviour === "busy") return refusal(486, "Busy Here", 1, pbx);
  if (behaviour === "reject") return refusal(603, "Decline", 1, pbx);
  if (behaviour === "unavailable") return refusal(480, "Temporarily Unavailable", 1, pbx);
  if (behaviour === "noAnswer") return fill(template("uas-noanswer.xml"), base);
  if ("refuse" in behaviour) {
    const { code, reason, ringMs } = behaviour.refuse;
    return refusal(code, reason, ringMs ?? 1, pbx);
  }
  if ("blindTransfer" in behaviour) {
    const { answerAfterMs, afterMs, to } = behaviour.blindTransfer;
    return fill(template("uas-blind-transfer.xml"), {
      ...base,
      ANSWER_AFTER_MS: positiveMs(answerAfterMs),
      TRANSFER_AFTER_MS: positiveMs(afterMs),
      TRANSFER_TO: to,
    });
  }
  const talk =
    behaviour.talkMs === undefined ? "" : `timeout="${positiveMs(behaviour.talkMs)}" ontimeout="hangup"`;
  return fill(template("uas-answer.xml"), {
    ...base,
    ANSWER_AFTER_MS: positiveMs(behaviour.answerAfterMs),
    TALK_TIMEOUT_ATTRS: talk,
  });
}

/** A SIP URI user part: characters outside RFC 3261's user set are %-escaped (UTF-8). */
function sipUser(user: string): string {
  return encodeURIComponent(user).replace(/%(2B|3B|3D|24|2C|26|3F|2F)/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** `"name" <sip:user@host>` of the caller (RFC 3323 callers: `"Anonymous" <sip:anonymous@anonymous.invalid>`). */
function fromHeader(call: UacCall): string {
  const host = call.fromDomain ?? "[local_ip]:[local_port]";
  const uri = call.from === "" ? `sip:${host}` : `sip:${sipUser(call.from)}@${host}`;
  const name = call.fromName ?? (/^[\x20-\x7e]+$/.test(call.from) ? call.from : undefined);
  return name === undefined ? `<${uri}>` : `"${name}" <${uri}>`;
}

export function renderUac(call: UacCall): string {
  const fragment = template("uac-dtmf-info.fragment.xml");
  const digits = [...call.dtmf];
  const dtmfBlock = digits
    .map((digit, i) =>
      fill(fragment, {
        DIGIT: digit,
        CSEQ: 2 + i,
        GAP_MS: positiveMs(i === 0 ? call.dtmfDelayMs : call.dtmfGapMs),
        FROM_HEADER: fromHeader(call),
        TO: call.to,
      }),
    )
    .join("\n");
  return fill(template("uac-call.xml"), {
    FROM_HEADER: fromHeader(call),
    CONTACT_USER: call.from === "" ? "caller" : sipUser(call.from),
    TO: call.to,
    ANSWER_TIMEOUT_MS: positiveMs(call.answerTimeoutMs),
    TALK_MS: positiveMs(call.talkMs),
    BYE_CSEQ: 2 + digits.length,
    DTMF_BLOCK: dtmfBlock,
  });
}
