import type { CallState } from "../../core/calls/types.ts";
import type { CardMode, Config } from "../../core/config/schema.ts";
import { callIsOver, failedReason, type UserDirectory } from "../../core/calls/decisions/index.ts";
import type { FinishParams, RegisterParams } from "../../core/hooks/api.ts";
import type { CallDecisions } from "../../core/hooks/callDecisions.ts";
import type { CrmCommand, ParamValue } from "../delivery/types.ts";
import { decisionsFor } from "./callDecisionsFor.ts";
import {
  cardCommand,
  finishCommandWith,
  METHOD,
  refToRegister,
  registerCommand,
  type CallIdParam,
} from "./commands.ts";
import { isPending, type StepJournal } from "./journal.ts";
import { plannedGroup, send, type ExtraCommand, type Plan, type PlannedGroup } from "./plan.ts";
import { planRecording } from "./planRecording.ts";
import { clientPhoneNumber } from "./phoneNumber.ts";

/**
 * The planner: what the CRM still lacks for one call, as one Plan. Free of I/O itself — the call state,
 * the journal, the decisions (the connector's own, with the customizations around them: they are the
 * only thing awaited), the config and the clock in; a plan out. The reconciler carries it out, writes the
 * answers into the journal and asks again until the plan is `done`.
 *
 * Unanswered requests (workers/README.md, "Ambiguous answers"): a register is repeated with its stored
 * parameters (the portal's 30-minute rule makes that idempotent while its call is live); an unanswered
 * finish is never re-sent before the statistics answered; cards and attachRecord are re-sent as planned.
 */

export type CallDirectory = UserDirectory;

export type PlanConfig = Pick<Config, "crm" | "numbers"> & {
  http?: Pick<Config["http"], "publicUrl" | "signingKey" | "recordLinkTtlSec">;
};

export interface PlanContext {
  /** The caller's clock (dates the signed recording link). */
  now?: Date;
  /** Commands customizations want sent for this call (none by default). */
  extras?: ExtraCommand[];
  /** This round's decisions, customizations included (callDecisionsFor.ts); default: the connector's own. */
  decisions?: CallDecisions;
}

type Params = Record<string, ParamValue>;

export async function planSteps(
  call: CallState,
  journal: StepJournal,
  directory: CallDirectory,
  config: PlanConfig,
  context: PlanContext = {},
): Promise<Plan> {
  if (journal.failed || journal.skipped) return { kind: "ended" };
  const decide = context.decisions ?? decisionsFor(call, directory, config);
  if (!(await decide.shouldProcess())) {
    return {
      kind: "skip",
      reason: `${call.direction} call, not registered in the CRM (crm.registerInternal)`,
    };
  }
  const now = context.now ?? new Date();
  const over = callIsOver(call);
  if (call.portalCall && !journal.bxCallId) return portalCallGone(call);
  if (!journal.register.doneAt) {
    return over
      ? planRegisterAndFinish(call, journal, decide, config)
      : planRegister(call, journal, decide, config);
  }
  if (!over) return planCards(call, journal, decide, pendingExtras(context, journal, "register"));
  if (!journal.finish?.doneAt) return planFinish(call, journal, decide, config);
  return withExtras(
    call.callId,
    await planRecording(call, journal, config, now, decide),
    pendingExtras(context, journal, "finish"),
  );
}

/** Live and not registered: register (no card from register itself), then show to the audience. */
async function planRegister(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  config: PlanConfig,
): Promise<Plan> {
  const register = storedRegister(journal) ?? (await freshRegister(call, journal, decide, config));
  if (!register) return { kind: "wait", for: "operator" };
  const commands: CrmCommand[] = [register];
  const audience = await decide.cardAudience();
  if (audience.length > 0) commands.push(cardCommand("show", refToRegister(0), audience));
  return send(plannedGroup(call.callId, "interactive", commands));
}

/**
 * Over and never registered: register and finish in one group, finish citing register's CALL_ID, and
 * no card at all. An unanswered finish may have run: the statistics are asked first. An unanswered
 * register alone (no finish went, or the one that did was verified as not run) is repeated alone with
 * its stored parameters: if it ran, its portal call is still live — only a finish ends it — so the
 * repeat returns the same CALL_ID; finish follows once it is answered.
 */
async function planRegisterAndFinish(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  config: PlanConfig,
): Promise<Plan> {
  if (journal.verifyFirst) return { kind: "check", step: "noJournal" };
  if (isPending(journal.finish)) return { kind: "check", step: "registerAndFinish" };
  const stored = storedRegister(journal);
  if (stored && isPending(journal.register)) return send(plannedGroup(call.callId, "bulk", [stored]));
  const finish = await finishParams(call, decide, config, null, undefined);
  if (!finish) return noUser();
  const register = stored ?? (await registerFor(call, journal, decide, config, finish.USER_ID));
  const commands = [register, finishCommandWith(refToRegister(0), finish as unknown as Params)];
  return send(plannedGroup(call.callId, "bulk", commands));
}

/** Registered and live: one show for new viewers, one hide for those who should no longer see it. */
async function planCards(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  extras: ExtraCommand[],
): Promise<Plan> {
  const desired = new Set(await decide.cardAudience());
  const shown = new Set(journal.cardsShownTo);
  const additions = [...desired].filter((u) => !shown.has(u));
  const removals = [...shown].filter((u) => !desired.has(u));
  const callId = journal.bxCallId!;
  const commands: CrmCommand[] = [];
  if (removals.length > 0) commands.push(cardCommand("hide", callId, removals));
  if (additions.length > 0) commands.push(cardCommand("show", callId, additions));
  const cards: Plan =
    commands.length === 0
      ? { kind: "wait", for: "callEnd" }
      : send(plannedGroup(call.callId, "interactive", commands));
  return withExtras(call.callId, cards, extras);
}

/** Over and registered: hide every card still shown, then finish — unless an earlier finish may have run. */
async function planFinish(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  config: PlanConfig,
): Promise<Plan> {
  if (isPending(journal.finish) || journal.finish?.notFoundAt) return { kind: "check", step: "finish" };
  const callId: CallIdParam = journal.bxCallId!;
  const finish = await finishParams(call, decide, config, callId, journal.registeredFor);
  if (!finish) return noUser();
  const commands: CrmCommand[] = [];
  if (journal.cardsShownTo.length > 0) commands.push(cardCommand("hide", callId, journal.cardsShownTo));
  commands.push(finishCommandWith(callId, finish as unknown as Params));
  return send(plannedGroup(call.callId, "bulk", commands));
}

/** The register that was sent before, with exactly its parameters (see RegisterMark.params): no hook runs. */
function storedRegister(journal: StepJournal): CrmCommand | undefined {
  const params = journal.register.params;
  return params ? { method: METHOD.register, params: structuredClone(params) } : undefined;
}

async function freshRegister(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  config: PlanConfig,
): Promise<CrmCommand | undefined> {
  const user = await decide.registerUser();
  if (!user) return undefined;
  return registerFor(call, journal, decide, config, user.userId);
}

/** register for `userId`: client number and line through their points, then beforeRegister. */
async function registerFor(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  config: PlanConfig,
  userId: number,
): Promise<CrmCommand> {
  const refused = journal.register.refusedNumber;
  let phoneNumber = await decide.clientNumber(clientPhoneNumber(call, config, refused));
  // A customization's number the portal refused before: the placeholder, as for the connector's own.
  if (refused !== undefined && phoneNumber === refused) phoneNumber = config.numbers.withheldNumber;
  const lineNumber = await decide.line();
  const base = registerCommand(call, {
    userId,
    phoneNumber,
    lineNumber,
    createLeads: config.crm.createLeads,
  });
  const { EXTERNAL_CALL_ID: _id, SHOW: _show, ...own } = base.params;
  const params = await decide.registerParams(own as unknown as RegisterParams);
  // EXTERNAL_CALL_ID and SHOW are the connector's: the journal and the cards depend on them.
  const mine = { EXTERNAL_CALL_ID: call.callId, SHOW: 0 };
  return { method: METHOD.register, params: { ...(params as unknown as Params), ...mine } };
}

/** Extra commands that are due at this stage and neither answered nor given up. */
function pendingExtras(
  context: PlanContext,
  journal: StepJournal,
  stage: ExtraCommand["after"],
): ExtraCommand[] {
  return (context.extras ?? []).filter((e) => {
    const mark = journal.extra?.[e.key];
    return (stage === "finish" || e.after === "register") && !mark?.doneAt && mark?.error === undefined;
  });
}

/** Extras travel in a bulk group of their own; whatever else the plan says comes on the next round. */
function withExtras(callId: string, plan: Plan, extras: ExtraCommand[]): Plan {
  if (extras.length === 0) return plan;
  const group: PlannedGroup = plannedGroup(callId, "bulk", [], extras);
  return plan.kind === "send" ? send(...plan.groups, group) : send(group);
}

/**
 * finish's parameters: responsible (else the registered user), duration, status, then beforeFinish.
 * The self-audit computes a call's expected figures with it too (workers/audit/auditDecisions.ts).
 */
export async function finishParams(
  call: CallState,
  decide: CallDecisions,
  config: PlanConfig,
  bxCallId: string | null,
  registeredFor: number | undefined,
): Promise<FinishParams | undefined> {
  const userId = (await decide.responsible())?.userId ?? registeredFor;
  if (userId === undefined) return undefined;
  const base: FinishParams = {
    USER_ID: userId,
    DURATION: await decide.talkDuration(),
    STATUS_CODE: await decide.statusCode(),
    ADD_TO_CHAT: config.crm.addToChat ? 1 : 0,
  };
  const reason = failedReason(call);
  if (reason !== undefined) base.FAILED_REASON = reason;
  return decide.finishParams(bxCallId, base);
}

/**
 * A portal call (click-to-call) whose CALL_ID the journal does not hold: adopted calls always hold it
 * (`adoptPortalCall`), so the portal said it no longer knows it (a finish found no call and the
 * statistics had no record). Registering it ourselves would make the second call the portal's own
 * click already is: the call fails instead, for an admin to look at.
 */
function portalCallGone(call: CallState): Plan {
  return {
    kind: "fail",
    code: "PORTAL_CALL_GONE",
    reason: `the portal no longer knows its click-to-call CALL_ID ${call.portalCall!.callId}; not registered again`,
    step: "finish",
  };
}

function noUser(): Plan {
  return {
    kind: "fail",
    code: "NO_USER",
    reason: "no CRM user rang or answered and crm.defaultUserId is not set",
    step: "register",
  };
}

/** Card mode of a user: `crm.cardModeByUser` by user id, then by extension, then `crm.cardMode`. */
export function cardModeOf(
  call: CallState,
  directory: CallDirectory,
  config: PlanConfig,
): (userId: number) => CardMode {
  const byUser = config.crm.cardModeByUser;
  const extensionOf = new Map<number, string>();
  for (const ext of [call.originExtension, ...call.legs.map((l) => l.extension)]) {
    if (ext === undefined) continue;
    const userId = directory.userIdByExtension(ext);
    if (userId !== undefined && !extensionOf.has(userId)) extensionOf.set(userId, ext);
  }
  return (userId) => {
    const ext = extensionOf.get(userId);
    return byUser[String(userId)] ?? (ext !== undefined ? byUser[ext] : undefined) ?? config.crm.cardMode;
  };
}
