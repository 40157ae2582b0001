/**
 * The lines the soak's sipp scenarios log (soak/sipp/*.xml): `<EVENT> <number> [args…] <timestamp>`,
 * where sipp's `[timestamp]` ends with the epoch in seconds (`2026-12-01\t10:41:19.583\t1796121679.583`).
 * Lines without a timestamp (the shared DTMF fragment's) are skipped. Pure.
 */
export interface SippEvent {
  event: string;
  /** The caller's number (the From user of the INVITE the phone got, or the caller's own number). */
  number: string;
  /** Tokens between the number and the timestamp (e.g. the status code of `REFUSED`). */
  args: string[];
  /** Epoch ms. */
  at: number;
}

export function parseSippLog(lines: readonly string[]): SippEvent[] {
  const events: SippEvent[] = [];
  for (const line of lines) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 3) continue;
    const epoch = Number(tokens[tokens.length - 1]);
    if (!Number.isFinite(epoch) || !/^\d+\.\d+$/.test(tokens[tokens.length - 1]!)) continue;
    // The timestamp is three tokens (date, time, epoch); what lies between number and it is args.
    const args = tokens.slice(2, Math.max(2, tokens.length - 3));
    events.push({ event: tokens[0]!, number: tokens[1]!, args, at: Math.round(epoch * 1000) });
  }
  return events;
}
