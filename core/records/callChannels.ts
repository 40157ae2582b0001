import type { CelRow } from "./callRecords.ts";

/**
 * First pass of the rebuild: what each channel of the call was, from its CEL rows. Pure.
 */

/** An operator's phone, the client side (a trunk), or a helper Asterisk made (Local, Recorder …). */
export type ChannelRole = "operator" | "outside" | "helper";

export interface ChannelFacts {
  uniqueId: string;
  name: string;
  /** The endpoint (`PJSIP/101-0000002a` → `101`), or the whole name for helpers. */
  endpoint: string;
  role: ChannelRole;
  /** The first row of the channel in this call (its CHAN_START, or a later row if its linkedid changed). */
  firstAt: string;
  startedHere: boolean;
  answeredAt?: string;
  hangup?: { at: string; cause?: number; bySelf: boolean };
  /** Stasis application arguments of its first APP_START of `Stasis(<app>,…)`. */
  stasisArgs?: string[];
  /** Dialplan applications it ran (APP_START), in order: `Stasis`, `Dial`, … */
  apps: string[];
}

export interface ChannelOptions {
  /** The Stasis application's name (`ari.app`). */
  app: string;
  /** An endpoint that is an operator's phone (configured operators, or internal-looking numbers). */
  isOperator(endpoint: string): boolean;
}

/** Technologies of channels Asterisk creates for its own purposes, never a person. */
const HELPER_TECHS = new Set(["local", "recorder", "snoop", "announcer", "message", "unicastrtp"]);

/** `PJSIP/101-0000002a` → `{tech: "PJSIP", endpoint: "101"}`; Local and other helpers keep the name. */
export function parseChannelName(name: string): { tech: string; endpoint: string } {
  const slash = name.indexOf("/");
  const tech = slash > 0 ? name.slice(0, slash) : "";
  const rest = slash > 0 ? name.slice(slash + 1) : name;
  const m = /^(.+)-[0-9a-f]+$/i.exec(rest);
  return { tech, endpoint: m?.[1] ?? rest };
}

function roleOf(name: string, options: ChannelOptions): { role: ChannelRole; endpoint: string } {
  const { tech, endpoint } = parseChannelName(name);
  if (tech === "" || HELPER_TECHS.has(tech.toLowerCase())) return { role: "helper", endpoint: name };
  return { role: options.isOperator(endpoint) ? "operator" : "outside", endpoint };
}

/** `{"hangupcause":17,"hangupsource":"PJSIP/101-…",…}` → its fields; {} for anything unreadable. */
export function extraOf(row: Pick<CelRow, "extra">): Record<string, unknown> {
  if (!row.extra) return {};
  try {
    const value: unknown = JSON.parse(row.extra);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The channels of the call in the order they first appear. */
export function channelsOf(rows: readonly CelRow[], options: ChannelOptions): Map<string, ChannelFacts> {
  const channels = new Map<string, ChannelFacts>();
  for (const row of rows) {
    if (!row.uniqueId) continue;
    let ch = channels.get(row.uniqueId);
    if (!ch) {
      ch = {
        uniqueId: row.uniqueId,
        name: row.channel,
        ...roleOf(row.channel, options),
        firstAt: row.eventTime,
        startedHere: row.eventType === "CHAN_START",
        apps: [],
      };
      channels.set(row.uniqueId, ch);
    }
    noteRow(ch, row, options);
  }
  return channels;
}

function noteRow(ch: ChannelFacts, row: CelRow, options: ChannelOptions): void {
  switch (row.eventType) {
    case "ANSWER":
      ch.answeredAt ??= row.eventTime;
      return;
    case "HANGUP": {
      const extra = extraOf(row);
      const cause = Number(extra.hangupcause);
      ch.hangup ??= {
        at: row.eventTime,
        ...(Number.isInteger(cause) && cause > 0 ? { cause } : {}),
        bySelf: extra.hangupsource === ch.name,
      };
      return;
    }
    case "APP_START": {
      ch.apps.push(row.appName);
      const args = row.appData.split(",").map((s) => s.trim());
      if (!ch.stasisArgs && row.appName.toLowerCase() === "stasis" && args[0] === options.app) {
        ch.stasisArgs = args.slice(1);
      }
      return;
    }
    default:
      return;
  }
}

/** Dialplan applications that route a call to people (the dialplan, not the Stasis app, handled it). */
const ROUTING_APPS = new Set(["dial", "queue", "followme", "page", "retrydial"]);

/**
 * Whether the itgrix application handled the call: its first channel entered `Stasis(<app>,…)` and
 * did not go on to a routing application of the dialplan afterwards (the fallback after a failed
 * Stasis: the application was down).
 */
export function handledByApp(origin: ChannelFacts): boolean {
  const apps = origin.apps.map((a) => a.toLowerCase());
  const stasis = apps.indexOf("stasis");
  return stasis >= 0 && !apps.slice(stasis + 1).some((a) => ROUTING_APPS.has(a));
}
