import type { ExpectedCall, FieldDifference } from "../../core/audit/compareCall.ts";
import { expectedOf } from "../../core/audit/expectedCall.ts";
import type { UserDirectory } from "../../core/calls/decisions/index.ts";
import type { HookPointName } from "../../core/hooks/api.ts";
import type { HookCrmGateway, HookCrmRequest } from "../../core/hooks/ports.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import { directoryForCall, isInnerNumberDirectory } from "../../core/hooks/userNumbers.ts";
import type { RebuiltCall } from "../../core/records/buildCall.ts";
import { decisionsFor } from "../calls/callDecisionsFor.ts";
import { finishParams, type PlanConfig } from "../calls/planSteps.ts";

/**
 * What the CRM should hold for a rebuilt call, decided exactly as delivery decides it: the same
 * decisions with the same customizations around them (callDecisionsFor.ts, and finish's parameters
 * from the planner itself), so a call a customization routed to another responsible user, or whose
 * talk time it shortened, is not reported "wrong" — nor "repaired".
 *
 * An audit only computes: a customization's `ctx.crm.call` is refused (nothing is sent, nothing is
 * journaled), the customization falls back as it would on any failure, and the fields that point
 * decides are marked unsure — not compared — rather than judged on a value delivery would not have used.
 */

type Field = FieldDifference["field"];

/** ctx.crm during an audit. */
export class AuditSendsNothing extends Error {
  constructor(request: Pick<HookCrmRequest, "method" | "point">) {
    super(`ctx.crm.call("${request.method}") at ${request.point}: an audit only computes, it sends nothing`);
    this.name = "AuditSendsNothing";
  }
}

/** The gateway of an audit: refuses every command and remembers at which points they were asked. */
export class ComputeOnlyCrm implements HookCrmGateway {
  readonly askedAt = new Set<HookPointName>();

  call(request: HookCrmRequest): Promise<unknown> {
    this.askedAt.add(request.point);
    return Promise.reject(new AuditSendsNothing(request));
  }
}

/** The compared fields each decision point decides; a point not named here may change all of them. */
const FIELDS_OF: Partial<Record<HookPointName, Field[]>> = {
  resolveResponsible: ["user"],
  registerUser: ["user"],
  normalizeUserNumber: ["user"],
  talkDuration: ["duration"],
  statusCode: ["status"],
  // Only what the register carries: no compared field.
  normalizeClientNumber: [],
  resolveLine: [],
  beforeRegister: [],
};
const ALL_FIELDS: Field[] = ["user", "status", "duration"];

export async function expectedCallOf(
  rebuilt: RebuiltCall,
  directory: UserDirectory,
  config: PlanConfig,
  runner?: HookRunner,
): Promise<ExpectedCall> {
  const plain = expectedOf(rebuilt, directory, config.crm);
  // Not compared at all, or nothing to run around the decisions: the connector's own values.
  if (!runner || runner.customizations.length === 0 || !rebuilt.complete) return plain;
  const call = rebuilt.state;
  const crm = new ComputeOnlyCrm();
  const users = isInnerNumberDirectory(directory)
    ? await directoryForCall(runner, call, directory, crm)
    : directory;
  const decide = decisionsFor(call, users, config, runner, crm);
  const forCrm = await decide.shouldProcess();
  // As the planner: the responsible user, else the one the call would be registered for.
  const responsible = await decide.responsible();
  const registeredFor = responsible ? undefined : (await decide.registerUser())?.userId;
  const finish = await finishParams(call, decide, config, null, registeredFor);
  const unsure = new Set<Field>();
  for (const point of crm.askedAt) for (const f of FIELDS_OF[point] ?? ALL_FIELDS) unsure.add(f);
  const { userId: _plainUser, ...rest } = plain;
  return {
    ...rest,
    forCrm,
    ...(finish ? { userId: finish.USER_ID } : {}),
    status: finish ? finish.STATUS_CODE : await decide.statusCode(),
    durationSec: finish ? finish.DURATION : await decide.talkDuration(),
    ...(unsure.size > 0 ? { unsure: ALL_FIELDS.filter((f) => unsure.has(f)) } : {}),
  };
}
