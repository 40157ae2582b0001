import { knownOperators } from "../../core/config/routingRules.ts";
import type { ManagerFirstConfig } from "../../core/config/schema.ts";
import { rewriteChainFor } from "../../core/numbers/index.ts";
import type { CallContext } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";
import { startExtensionHunt, startGroupHunt } from "./hunt.ts";
import { decideManagerFirst } from "./managerFirst.ts";

/**
 * Manager-first routing of a DID (`routing.dids.<n>.managerFirst`): ask the CRM who the caller's
 * responsible manager is — at most `routing.managerLookup.timeoutMs` — and ring that operator for
 * `ringSec` before the group; any other answer (none in time, an error, no manager, not an operator,
 * off work) rings the group at once.
 */
export async function huntManagerFirst(
  ctx: CallContext,
  call: CallSession,
  group: string,
  options: ManagerFirstConfig,
): Promise<void> {
  const settings = ctx.config.routing.managerLookup;
  const number = ctx.normalise(call.ctl.clientNumber);
  const outcome = ctx.lookups
    ? await ctx.lookups.lookup(number, settings.timeoutMs)
    : ({ kind: "error", error: "no lookup configured", ms: 0 } as const);
  const rewrite = rewriteChainFor(ctx.config.numbers.userRewrite);
  const decision = decideManagerFirst(outcome, {
    operators: [...knownOperators(ctx.config)],
    crmNumberOf: (ext) => rewrite.apply(ext),
    respectWorkTime: settings.respectWorkTime,
  });
  const source = outcome.kind === "answer" ? outcome.source : undefined;
  if (call.ctl.ending || call.ctl.clientGone) return; // the caller hung up meanwhile
  if (!decision.ring) {
    call.log.info({ number, lookupMs: outcome.ms, source, reason: decision.reason }, "manager-first: group");
    return startGroupHunt(ctx, call, group);
  }
  call.log.info(
    { number, lookupMs: outcome.ms, source, extension: decision.extension, userId: decision.userId },
    "manager-first: ringing the client's manager",
  );
  await startExtensionHunt(ctx, call, decision.extension, options.ringSec, "group", group);
}
