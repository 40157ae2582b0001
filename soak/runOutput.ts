import type { CrmCall, ObservedCall, Verdict } from "./check.ts";
import type { PlacedCall } from "./observe.ts";

/** What a run leaves for its reader beside the figures: per-scenario counts, problem lines, calls.json. Pure. */

export function byScenario(placed: PlacedCall[], verdicts: Verdict[]) {
  const out: Record<string, { calls: number; problems: number }> = {};
  placed.forEach((p, i) => {
    const s = (out[p.call.scenario] ??= { calls: 0, problems: 0 });
    s.calls++;
    if (verdicts[i]!.problems.length > 0) s.problems++;
  });
  return out;
}

export function problemLines(placed: PlacedCall[], verdicts: Verdict[], max = 30): string[] {
  return verdicts
    .map((v, i) => ({ v, p: placed[i]! }))
    .filter(({ v }) => v.problems.length > 0)
    .slice(0, max)
    .map(
      ({ v, p }) =>
        `#${v.seq} ${p.call.scenario} ${p.call.clientNumber}: ${v.problems.map((x) => `${x.kind}: ${x.detail}`).join("; ")}`,
    );
}

/** Every call with its truth, its CRM record and its verdict, for reading a run afterwards. */
export function callsJson(
  placed: PlacedCall[],
  observed: ObservedCall[],
  verdicts: Verdict[],
  crm: CrmCall[],
): string {
  const byPhone = new Map<string, CrmCall[]>();
  for (const c of crm) {
    const key = String(c.PHONE_NUMBER).replace(/\D/g, "").slice(-10);
    byPhone.set(key, [...(byPhone.get(key) ?? []), c]);
  }
  const rows = placed.map((p, i) => ({
    call: p.call,
    attended: p.attended,
    truth: observed[i],
    crm: byPhone.get(p.call.clientNumber.slice(-10)) ?? [],
    verdict: verdicts[i],
  }));
  return JSON.stringify(rows, null, 1);
}
