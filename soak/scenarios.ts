import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fill, type PbxAddress } from "../testbed/sipp/scenarios.ts";

/**
 * Renders the soak's sipp scenarios (soak/sipp/): the operator phones (many extensions in one sipp)
 * that ring a random time and log every event with the caller's number, the extension and a
 * timestamp, and callers that log theirs. Numbers go into the XML before sipp starts (sipp takes no
 * `-key` value in timeouts or pauses). Pure.
 */
const SOAK_SIPP = resolve(dirname(fileURLToPath(import.meta.url)), "sipp");

/** How one operator phone of the soak behaves, on every call it gets. */
export type PhoneRole =
  | { kind: "answer" }
  | { kind: "noAnswer" }
  | { kind: "refuse"; code: number; reason: string; ringMs: number }
  | { kind: "blindTransfer"; transferAfterMs: number; to: string };

export interface CallerScript {
  from: string;
  to: string;
  /** CANCEL when not answered this long after the last provisional response. */
  answerTimeoutMs: number;
  /** After the answer (and the digits), hang up this long later unless the far end did. */
  talkMs: number;
  dtmf: string;
  /** Pause before the first digit (after the answer) and between digits. */
  dtmfDelayMs: number;
  dtmfGapMs: number;
}

/** Final responses a caller may get; each is logged `STATUS <from> <code>` and ACKed. */
const REFUSAL_CODES = [403, 404, 408, 480, 484, 486, 487, 488, 500, 502, 503, 600, 603];

const template = (dir: string, name: string) => readFileSync(join(dir, name), "utf8");

function ms(value: number): number {
  // sipp reads 0 as "no timeout".
  return Math.max(1, Math.round(value));
}

/** `<nop>` tests on the extension that jump to `label` (sipp has no "one of"). */
function branches(extensions: string[], label: (ext: string) => string): string {
  return extensions
    .map((ext) => {
      const flag = `is_${label(ext)}_${ext}`.replace(/[^a-z0-9_]/gi, "_");
      return (
        `  <nop><action><test assign_to="${flag}" variable="extn" compare="equal" value="${Number(ext)}"/></action></nop>\n` +
        `  <nop next="${label(ext)}" test="${flag}"/>`
      );
    })
    .join("\n");
}

/**
 * One sipp UAS answering for every extension in `roles` (the Request-URI says which), each with its
 * role; `ringMs` is the random ring of the answering ones.
 */
export function renderPhones(
  roles: Record<string, PhoneRole>,
  ringMs: [number, number],
  pbx: PbxAddress,
): string {
  const of = (kind: PhoneRole["kind"]) => Object.keys(roles).filter((e) => roles[e]!.kind === kind);
  const refusing = of("refuse").map((e) => roles[e] as Extract<PhoneRole, { kind: "refuse" }>);
  const refuse = refusing[0] ?? { code: 486, reason: "Busy Here", ringMs: 1 };
  if (refusing.some((r) => r.code !== refuse.code || r.ringMs !== refuse.ringMs))
    throw new Error("the soak's phones refuse with one code and ring time only");
  // The extension is always tested once, so sipp never sees a variable it does not use.
  const special = [...of("refuse"), ...of("noAnswer")];
  const roleBranches =
    special.length > 0
      ? branches(special, (e) => (roles[e]!.kind === "refuse" ? "refuse" : "noanswer"))
      : branches(["0"], () => "noanswer");
  const transferring = of("blindTransfer");
  const refers = transferring
    .map((ext) => {
      const r = roles[ext] as Extract<PhoneRole, { kind: "blindTransfer" }>;
      return fill(template(SOAK_SIPP, "refer.fragment.xml"), {
        EXTENSION: ext,
        TRANSFER_TO: r.to,
        TRANSFER_AFTER_MS: ms(r.transferAfterMs),
        PBX_HOST: pbx.host,
        PBX_PORT: pbx.port,
      });
    })
    .join("\n");
  const withBlocks = template(SOAK_SIPP, "phones.xml")
    .replace("{{ROLE_BRANCHES}}", roleBranches)
    .replace(
      "{{TRANSFER_BRANCHES}}",
      branches(transferring, (e) => `transfer_${e}`),
    )
    .replace("{{REFERS}}", refers);
  return fill(withBlocks, {
    RING_MIN_MS: ms(ringMs[0]),
    RING_MAX_MS: ms(ringMs[1]),
    REFUSE_RING_MS: ms(refuse.ringMs),
    REFUSE_CODE: refuse.code,
    REFUSE_REASON: refuse.reason,
    PBX_HOST: pbx.host,
    PBX_PORT: pbx.port,
  });
}

function refusals(): string {
  return REFUSAL_CODES.map(
    (code) =>
      `  <recv response="${code}" optional="true" next="refused" timeout="{{ANSWER_TIMEOUT_MS}}" ontimeout="cancel">\n` +
      `    <action><log message="STATUS {{FROM}} ${code} [timestamp]"/></action>\n  </recv>`,
  ).join("\n");
}

export function renderCaller(c: CallerScript): string {
  if (!/^[0-9*#A-D]*$/.test(c.dtmf)) throw new Error(`bad DTMF digits: ${c.dtmf}`);
  const digits = [...c.dtmf];
  const dtmfBlock = digits
    .map((digit, i) =>
      fill(template(SOAK_SIPP, "dtmf.fragment.xml"), {
        DIGIT: digit,
        CSEQ: 2 + i,
        GAP_MS: ms(i === 0 ? c.dtmfDelayMs : c.dtmfGapMs),
        FROM: c.from,
        TO: c.to,
      }),
    )
    .join("\n");
  const withBlocks = template(SOAK_SIPP, "caller.xml")
    .replace("{{REFUSALS}}", refusals())
    .replace("{{DTMF_BLOCK}}", dtmfBlock);
  return fill(withBlocks, {
    FROM: c.from,
    TO: c.to,
    ANSWER_TIMEOUT_MS: ms(c.answerTimeoutMs),
    TALK_MS: ms(c.talkMs),
    BYE_CSEQ: 2 + digits.length,
  });
}
