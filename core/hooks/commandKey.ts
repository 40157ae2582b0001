import { createHash } from "node:crypto";
import type { HookPointName } from "./api.ts";

/**
 * Names of customizations' CRM commands in the call's journal. A key is stable across re-runs of the
 * same hook for the same call, so a retried reconcile finds the command's stored answer instead of
 * sending it again:
 *
 *   <customization>/<point>[<instance>]/<label>
 *
 * - `instance` tells the occurrences of a repeating event apart (onAnswer: the leg id, onTransfer: the
 *   transfer's index); empty for everything that happens once per call;
 * - `label` is the hook's own `key` option, else `#<n>`: the n-th command this customization sent in
 *   this run of the point (deterministic as long as the hook's control flow depends only on its input).
 *
 * Keys never contain the call id (the journal is per call already).
 */

const LABEL = /^[A-Za-z0-9_.:@#-]{1,100}$/;

export interface CommandKeyParts {
  customization: string;
  point: HookPointName;
  instance?: string;
  label: string;
}

export function hookCommandKey(parts: CommandKeyParts): string {
  if (!LABEL.test(parts.label)) {
    throw new TypeError(
      `ctx.crm key "${parts.label}" must be 1..100 characters of letters, digits and _ . : @ # -`,
    );
  }
  const instance = parts.instance ? `[${parts.instance}]` : "";
  return `${parts.customization}/${parts.point}${instance}/${parts.label}`;
}

/** The journal key of an event occurrence (whether its hooks have run), e.g. `onAnswer[leg-1]`. */
export function hookEventKey(point: HookPointName, instance?: string): string {
  return instance ? `${point}[${instance}]` : point;
}

/**
 * Reads are not journaled by default: asking again does no harm and gives a fresh answer. A method is
 * a read when its last segment starts with get, list, fields, search or find (`crm.activity.get`,
 * `telephony.externalCall.searchCrmEntities`, `crm.duplicate.findbycomm`, `user.get`).
 */
export function isReadMethod(method: string): boolean {
  const last = method.slice(method.lastIndexOf(".") + 1);
  return /^(get|list|fields|search|find)/i.test(last);
}

/**
 * A short fingerprint of a command, stored with its journal entry: a re-run that builds different
 * parameters under the same key (the hook is not deterministic) is logged, and the stored answer wins.
 */
export function commandDigest(method: string, params: unknown): string {
  return createHash("sha256")
    .update(method.toLowerCase())
    .update("\n")
    .update(canonicalJson(params))
    .digest("hex")
    .slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const METHOD = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;

/** Bitrix24 method names are dotted identifiers; anything else is a bug in the customization. */
export function checkMethodName(method: unknown): asserts method is string {
  if (typeof method !== "string" || !METHOD.test(method)) {
    throw new TypeError(`ctx.crm.call: "${String(method)}" is not a Bitrix24 method name`);
  }
}
