import type { PhoneRole } from "./scenarios.ts";

/**
 * The soak's call centre: 40 operator phones (121–160, CRM users) and the Support group (301–303,
 * not CRM users), their groups and DIDs. Pure data: the emulator seed, the itgrix configuration, the
 * call mix and the checker all derive from it, so what the soak expects follows from what it set up.
 * It uses its own extensions, so the demo's (101–120) and the tests' phones are never touched.
 */

export interface SoakGroup {
  strategy: "ringall" | "sequential" | "roundrobin";
  members: string[];
  ringTimeoutSec: number;
  groupTimeoutSec: number;
}

/** The random ring before an answer (ms), as people pick up. */
export const RING_MS: [number, number] = [1000, 4000];
const answer: PhoneRole = { kind: "answer" };
const noAnswer: PhoneRole = { kind: "noAnswer" };
const busy: PhoneRole = { kind: "refuse", code: 486, reason: "Busy Here", ringMs: 300 };
const blindTo = (to: string): PhoneRole => ({ kind: "blindTransfer", transferAfterMs: 3000, to });

/** The soft-phone (linphonec) that does the attended transfers, and whom it consults. */
export const ATTENDED = { extension: "160", consultExtension: "159" } as const;

/** Every sipp phone of the soak (the attended-transfer phone is linphone, see ATTENDED). */
export const PHONES: Record<string, PhoneRole> = {
  ...each(range(121, 140), answer), // sales, service, orders, reception
  "141": busy,
  "142": busy,
  ...each(range(143, 146), noAnswer),
  "147": blindTo("149"),
  "148": blindTo("150"),
  "149": answer,
  "150": answer,
  "151": blindTo("301"),
  "152": blindTo("302"),
  ...each(range(153, 156), answer), // IVR choices
  "157": noAnswer, // an IVR choice nobody picks up
  "158": answer,
  [ATTENDED.consultExtension]: answer,
  "301": answer,
  "302": answer,
  "303": answer,
};

/** Extensions that are Bitrix24 users: 121–160. The Support group is not. */
export const CRM_EXTENSIONS = range(121, 160);
export const SUPPORT_EXTENSIONS = ["301", "302", "303"];

/** Bitrix24 user id of an extension in the soak's seed: 121 → 21 … 160 → 60. */
export function userIdOf(extension: string): number | undefined {
  return CRM_EXTENSIONS.includes(extension) ? Number(extension) - 100 : undefined;
}

/** Whom a call nobody in the CRM touched belongs to (`crm.defaultUserId`). */
export const DEFAULT_USER_ID = 1;

export const GROUPS: Record<string, SoakGroup> = {
  sales: group("ringall", range(121, 128), 20, 20),
  service: group("roundrobin", range(129, 134), 5, 20),
  orders: group("sequential", ["141", "135", "136", "137"], 5, 25),
  allBusy: group("ringall", ["141", "142"], 10, 10),
  night: group("ringall", ["143", "144"], 6, 6),
  lost: group("ringall", ["145", "146"], 30, 30),
  transfers: group("roundrobin", ["147", "148"], 5, 15),
  escalation: group("ringall", ["151", "152"], 15, 15),
  support: group("ringall", SUPPORT_EXTENSIONS, 20, 20),
  reception: group("ringall", ["138", "139", "140"], 20, 20),
  attended: group("ringall", [ATTENDED.extension], 15, 15),
};

/** DID → group; `ivr` DIDs answer, take an extension by DTMF, then ring the group. */
export const DIDS: Record<string, { group: string; ivr?: boolean }> = {
  "74957000001": { group: "sales" },
  "74957000002": { group: "service" },
  "74957000003": { group: "orders" },
  "74957000004": { group: "allBusy" },
  "74957000005": { group: "night" },
  "74957000006": { group: "lost" },
  "74957000007": { group: "transfers" },
  "74957000008": { group: "escalation" },
  "74957000009": { group: "support" },
  "74957000010": { group: "reception", ivr: true },
  "74957000011": { group: "attended" },
};

/** IVR: digits per extension, the wait for them, and how long a chosen extension rings. */
export const IVR = { maxDigits: 3, digitTimeoutSec: 3, extensionRingTimeoutSec: 4 } as const;
export const IVR_ANSWERING = ["153", "154", "155", "156"];
export const IVR_NOT_ANSWERING = "157";

export function didOf(groupName: string): string {
  const did = Object.entries(DIDS).find(([, d]) => d.group === groupName)?.[0];
  if (!did) throw new Error(`no DID routes to group ${groupName}`);
  return did;
}

function group(
  strategy: SoakGroup["strategy"],
  members: string[],
  ringTimeoutSec: number,
  groupTimeoutSec: number,
): SoakGroup {
  return { strategy, members, ringTimeoutSec, groupTimeoutSec };
}

function range(first: number, last: number): string[] {
  return Array.from({ length: last - first + 1 }, (_, i) => String(first + i));
}

function each(extensions: string[], role: PhoneRole): Record<string, PhoneRole> {
  return Object.fromEntries(extensions.map((e) => [e, role]));
}
