import type { UserDirectory } from "../calls/decisions/index.ts";
import type { CallState } from "../calls/types.ts";
import type { HookCrmGateway } from "./ports.ts";
import type { HookRunner } from "./runner.ts";

/**
 * `normalizeUserNumber` around the user directory. Directory lookups are synchronous and frequent
 * (every decision walks the legs), hooks are not: so the extensions of one call are put through the
 * point once per round, and the decisions of that round use the resulting map. Without customizations
 * on the point the directory is used as it is.
 */

/** The workers' directory split into its two steps (the rewrite, then the lookup). */
export interface InnerNumberDirectory extends UserDirectory {
  /** The connector's own rewrite (`numbers.userRewrite`) of an extension to a CRM inner number. */
  innerNumberOf(extension: string): string;
  userIdByInnerNumber(innerNumber: string): number | undefined;
}

/** Whether a directory can be put through normalizeUserNumber (the workers' cache can; a plain map cannot). */
export function isInnerNumberDirectory<D extends UserDirectory>(d: D): d is D & InnerNumberDirectory {
  const maybe = d as Partial<InnerNumberDirectory>;
  return typeof maybe.innerNumberOf === "function" && typeof maybe.userIdByInnerNumber === "function";
}

export async function directoryForCall(
  runner: HookRunner,
  call: CallState,
  directory: InnerNumberDirectory,
  crm?: HookCrmGateway,
): Promise<UserDirectory> {
  if (!runner.active("normalizeUserNumber")) return directory;
  const users = new Map<string, number | undefined>();
  for (const number of extensionsOfCall(call)) {
    const inner = await runner.run("normalizeUserNumber", {
      call,
      input: { number, direction: "toCrm" },
      value: directory.innerNumberOf(number),
      crm,
      users: directory,
    });
    users.set(number, directory.userIdByInnerNumber(inner));
  }
  return {
    userIdByExtension: (ext) => (users.has(ext) ? users.get(ext) : directory.userIdByExtension(ext)),
  };
}

/** Every extension a decision may look up for this call. */
export function extensionsOfCall(call: CallState): string[] {
  const all = new Set<string>(call.legs.map((l) => l.extension));
  for (const c of call.conversations) all.add(c.extension);
  for (const t of call.transfers) {
    all.add(t.fromExtension);
    all.add(t.toExtension);
  }
  if (call.originExtension !== undefined) all.add(call.originExtension);
  if (call.ivr?.extension !== undefined) all.add(call.ivr.extension);
  return [...all];
}
