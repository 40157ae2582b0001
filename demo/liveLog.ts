import { checkCall, phoneKey, type CallVerdict, type EmulatorCall, type PlacedCall } from "./crmCheck.ts";
import type { CallEnd } from "./phones.ts";

/**
 * The demo's live log: one line per call, printed once the CRM has the call finished (or once it is
 * overdue), with what the caller experienced and what the CRM recorded.
 */
export interface LiveLogOptions {
  print: (line: string) => void;
  /** Extension of a Bitrix24 user id, for readable lines. */
  extensionOf: (userId: number) => string | undefined;
  /** A call still not finished in the CRM this long after it ended is printed as overdue. */
  overdueMs: number;
}

interface Pending {
  placed: PlacedCall;
  end: CallEnd;
}

export class LiveLog {
  private pending: Pending[] = [];

  constructor(private readonly o: LiveLogOptions) {}

  ended(placed: PlacedCall, end: CallEnd): void {
    if (end.error !== undefined) {
      this.o.print(formatCallLine(placed, end, checkCall(placed, []), this.o.extensionOf));
      return;
    }
    this.pending.push({ placed, end });
  }

  /** Prints the calls the CRM now has (or that are overdue); returns how many still wait. */
  update(crmCalls: EmulatorCall[], now = Date.now()): number {
    const finished = new Map<string, EmulatorCall[]>();
    for (const c of crmCalls) {
      const key = phoneKey(c.PHONE_NUMBER);
      finished.set(key, [...(finished.get(key) ?? []), c]);
    }
    this.pending = this.pending.filter(({ placed, end }) => {
      const matches = finished.get(phoneKey(placed.plan.clientNumber)) ?? [];
      const done = matches.some((m) => m.finish);
      if (!done && now - end.endedAt < this.o.overdueMs) return true;
      this.o.print(formatCallLine(placed, end, checkCall(placed, matches), this.o.extensionOf));
      return false;
    });
    return this.pending.length;
  }
}

export function formatCallLine(
  placed: PlacedCall,
  end: CallEnd,
  verdict: CallVerdict,
  extensionOf: (userId: number) => string | undefined,
): string {
  const p = placed.plan;
  const time = new Date(end.endedAt).toTimeString().slice(0, 8);
  const route =
    p.direction === "inbound" ? `in  ${p.clientNumber} → ${p.did}` : `out ${p.operator} → ${p.clientNumber}`;
  const crm = verdict.crm
    ? `CRM ${verdict.crm.statusCode} user ${verdict.crm.userId}` +
      `${ext(extensionOf, verdict.crm.userId)} ${verdict.crm.durationSec ?? "?"}s` +
      (verdict.endToCrmMs !== undefined ? ` (+${(verdict.endToCrmMs / 1000).toFixed(1)}s)` : "")
    : "CRM —";
  const mark =
    verdict.problems.length === 0
      ? "ok"
      : `FAIL ${verdict.problems.map((x) => `${x.kind}: ${x.detail}`).join("; ")}`;
  return [
    time,
    `#${String(p.seq).padStart(4, "0")}`,
    route.padEnd(33),
    p.label.padEnd(38),
    end.outcome.padEnd(10),
    crm.padEnd(36),
    mark,
  ].join("  ");
}

function ext(extensionOf: (userId: number) => string | undefined, userId: number | null): string {
  if (userId === null) return "";
  const e = extensionOf(userId);
  return e ? ` (${e})` : "";
}
