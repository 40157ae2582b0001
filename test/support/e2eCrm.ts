/**
 * What the Bitrix24 emulator received, as the end-to-end tests read it (`GET /_emulator/state`),
 * and small readers of a call's card log.
 */

export interface CrmCardEvent {
  action: "show" | "hide";
  userId: number;
  /** Emulator clock, ms (Date.now() unless a test moved the clock). */
  at: number;
}

export interface CrmFinish {
  USER_ID: number;
  DURATION: number;
  STATUS_CODE: string;
  ADD_TO_CHAT: number;
  finishedAt: number;
}

export interface CrmRecord {
  fileName: string;
  size: number;
  via: string;
  at: number;
}

export interface CrmCall {
  CALL_ID: string;
  EXTERNAL_CALL_ID: string;
  USER_ID: number;
  PHONE_NUMBER: string;
  LINE_NUMBER: string;
  TYPE: number;
  registeredAt: number;
  state: "registered" | "finished";
  cardShownTo: number[];
  cardLog: CrmCardEvent[];
  finish: CrmFinish | null;
  records: CrmRecord[];
}

export async function crmCalls(emulatorUrl: string): Promise<CrmCall[]> {
  const response = await fetch(`${emulatorUrl}/_emulator/state`);
  if (!response.ok) throw new Error(`emulator state: HTTP ${response.status}`);
  return ((await response.json()) as { calls: CrmCall[] }).calls;
}

/** The last 10 digits: `+74951234567`, `74951234567` and `84951234567` are the same client. */
export function samePhone(a: string, b: string): boolean {
  const tail = (s: string) => s.replace(/\D/g, "").slice(-10);
  return tail(a) !== "" && tail(a) === tail(b);
}

/** `show 12, show 13, hide 12` — readable in assertion messages. */
export function describeCardLog(call: Pick<CrmCall, "cardLog">): string {
  return call.cardLog.map((e) => `${e.action} ${e.userId}`).join(", ");
}

/** Card events of one user, in order, e.g. `["show", "hide"]`. */
export function cardActionsOf(call: Pick<CrmCall, "cardLog">, userId: number): string[] {
  return call.cardLog.filter((e) => e.userId === userId).map((e) => e.action);
}

/** Users who ever saw the card, in order of their first show. */
export function cardViewers(call: Pick<CrmCall, "cardLog">): number[] {
  const seen: number[] = [];
  for (const e of call.cardLog) if (e.action === "show" && !seen.includes(e.userId)) seen.push(e.userId);
  return seen;
}

/** Time of the first `action` for `userId`, or undefined. */
export function cardEventAt(
  call: Pick<CrmCall, "cardLog">,
  userId: number,
  action: "show" | "hide",
): number | undefined {
  return call.cardLog.find((e) => e.userId === userId && e.action === action)?.at;
}
