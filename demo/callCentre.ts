/**
 * The demo call centre: which operator phone behaves how, which groups and DIDs exist, and the
 * scenarios the demo can play on them. Pure data, shared by the config generator, the call-mix
 * generator and the checker, so that what the demo expects follows from what it set up.
 */

/** How a sipp operator phone answers its calls. */
export type PhoneBehaviour =
  | { kind: "answer"; afterMs: number }
  | { kind: "busy" }
  | { kind: "noAnswer" }
  | { kind: "reject" }
  | { kind: "blindTransfer"; afterMs: number; transferAfterMs: number; to: string };

export interface DemoGroup {
  strategy: "ringall" | "sequential" | "roundrobin";
  members: string[];
  ringTimeoutSec: number;
  groupTimeoutSec: number;
}

export const PHONES: Record<string, PhoneBehaviour> = {
  "101": { kind: "answer", afterMs: 3000 },
  "102": { kind: "answer", afterMs: 1000 },
  "103": { kind: "answer", afterMs: 2000 },
  "104": { kind: "noAnswer" },
  "105": { kind: "busy" },
  "106": { kind: "answer", afterMs: 1500 },
  "107": { kind: "answer", afterMs: 1000 },
  "108": { kind: "answer", afterMs: 1500 },
  "109": { kind: "answer", afterMs: 2000 },
  "110": { kind: "noAnswer" },
  "111": { kind: "noAnswer" },
  "112": { kind: "reject" },
  "113": { kind: "answer", afterMs: 1000 },
  "114": { kind: "answer", afterMs: 1000 },
  "115": { kind: "answer", afterMs: 2500 },
  "116": { kind: "answer", afterMs: 1000 },
  "117": { kind: "noAnswer" },
  "118": { kind: "blindTransfer", afterMs: 1000, transferAfterMs: 2000, to: "119" },
  "119": { kind: "answer", afterMs: 1000 },
  "120": { kind: "blindTransfer", afterMs: 1000, transferAfterMs: 2000, to: "301" },
  "301": { kind: "answer", afterMs: 1000 },
  "302": { kind: "answer", afterMs: 2000 },
  "303": { kind: "answer", afterMs: 3000 },
};

/** Operators who place the demo's outbound calls (their phones can ring and dial at once). */
export const OUTBOUND_OPERATORS = ["102", "106", "113"];

export const GROUPS: Record<string, DemoGroup> = {
  sales: { strategy: "ringall", members: ["101", "102", "103"], ringTimeoutSec: 20, groupTimeoutSec: 30 },
  service: { strategy: "sequential", members: ["104", "105", "106"], ringTimeoutSec: 4, groupTimeoutSec: 30 },
  orders: { strategy: "roundrobin", members: ["107", "108", "109"], ringTimeoutSec: 6, groupTimeoutSec: 30 },
  night: { strategy: "ringall", members: ["110", "111"], ringTimeoutSec: 8, groupTimeoutSec: 8 },
  vip: { strategy: "sequential", members: ["112", "113"], ringTimeoutSec: 5, groupTimeoutSec: 20 },
  reception: { strategy: "ringall", members: ["114", "115"], ringTimeoutSec: 20, groupTimeoutSec: 30 },
  transfers: { strategy: "ringall", members: ["118"], ringTimeoutSec: 20, groupTimeoutSec: 30 },
  escalation: { strategy: "ringall", members: ["120"], ringTimeoutSec: 20, groupTimeoutSec: 30 },
  support: { strategy: "ringall", members: ["301", "302", "303"], ringTimeoutSec: 20, groupTimeoutSec: 30 },
};

/** DID → group (and IVR). Numbers as the trunk delivers them in the demo. */
export const DIDS: Record<string, { group: string; ivr?: boolean }> = {
  "74950000001": { group: "sales" },
  "74950000002": { group: "service" },
  "74950000003": { group: "orders" },
  "74950000004": { group: "night" },
  "74950000005": { group: "vip" },
  "74950000006": { group: "reception", ivr: true },
  "74950000007": { group: "transfers" },
  "74950000008": { group: "escalation" },
  "74950000009": { group: "support" },
};

/** Seconds the IVR rings the extension the caller chose before going on to the DID's group. */
export const IVR_EXTENSION_RING_SEC = 6;

/** Bitrix24 user that gets calls no CRM user touched (the Support group is not in the CRM). */
export const DEFAULT_USER_ID = 1;

export function didOfGroup(group: string): string {
  const did = Object.entries(DIDS).find(([, d]) => d.group === group)?.[0];
  if (!did) throw new Error(`no DID routes to group ${group}`);
  return did;
}
