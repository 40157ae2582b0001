import { z } from "zod";
import type { HookPointName } from "./api.ts";
import * as v from "./valueSchemas.ts";

/**
 * The catalogue of hook points: where each one runs, what it wraps in the code, what goes in and what
 * may come out. `npm run hooks -- list` prints it and docs/hooks.md follows it; the `input` and
 * `value` texts are checked against `HookPoints` in api.ts by a unit test, so they cannot drift.
 *
 * Kinds: a `decision` wraps a named decision (its value is what the stage uses); a `command` wraps the
 * parameters of one CRM command just before it is journaled and sent; an `event` runs once per
 * occurrence after the fact is journaled (the hook acts; its value is ignored).
 */

export type HookKind = "decision" | "command" | "event";
export type HookSideName = "app" | "workers" | "both";

export interface HookPointSpec {
  side: HookSideName;
  kind: HookKind;
  /** When it runs, in one sentence. */
  when: string;
  /** The code it wraps today (file: function). */
  wraps: string;
  /** The input besides the call, as in api.ts `HookPoints[point].input`. */
  input: string;
  /** The value a hook may return, as in api.ts `HookPoints[point].value`. */
  value: string;
  description: string;
  /** Run-time check of a returned value. */
  schema: z.ZodType;
  /** Used when neither `hooks.pointTimeLimitsMs.<point>` nor `hooks.timeLimitMs` is set. */
  defaultTimeLimitMs: number;
}

/** App-side points run while a phone rings or an originate waits: they must be quick. */
const APP_LIMIT_MS = 500;
const DECISION_LIMIT_MS = 2_000;
const EVENT_LIMIT_MS = 10_000;

const NO_INPUT = "{}";
const FINISHED =
  "{ bxCallId: string; activityId: string | null; userId: number; duration: number; statusCode: string; }";

export const HOOK_POINTS: { readonly [P in HookPointName]: HookPointSpec } = {
  shouldProcessCall: {
    side: "workers",
    kind: "decision",
    when: "every reconcile round, before anything is planned",
    wraps:
      "core/calls/decisions/callScope.ts: isCrmCall (first test of workers/calls/planSteps.ts: planSteps)",
    input: NO_INPUT,
    value: "boolean",
    description: "Whether the call goes to the CRM at all; false marks it skipped (black/white lists).",
    schema: z.boolean(),
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  normalizeClientNumber: {
    side: "both",
    kind: "decision",
    when: "workers: building register's PHONE_NUMBER; app: before the client is dialled through the trunk (outbound, click-to-call, callback)",
    wraps:
      "workers/calls/phoneNumber.ts: clientPhoneNumber; app/clientLeg/dialClient.ts: dialClient (ctx.normalise)",
    input: '{ raw: string; purpose: "register" | "dial"; }',
    value: "string",
    description:
      "The client's number as the CRM gets it / as the trunk dials it (after numbers.clientRewrite).",
    schema: v.phoneNumber,
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  normalizeUserNumber: {
    side: "workers",
    kind: "decision",
    when: "once per extension of the call per round, before directory lookups; fromCrm: click-to-call",
    wraps:
      "workers/directory/userDirectory.ts: userIdByExtension (rewriteUserNumber with numbers.userRewrite)",
    input: '{ number: string; direction: "toCrm" | "fromCrm"; }',
    value: "string",
    description:
      "An operator extension as the CRM's inner number (toCrm), or back (fromCrm). Inner numbers are 1..9999.",
    schema: v.phoneNumber,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  resolveLine: {
    side: "workers",
    kind: "decision",
    when: "building register",
    wraps: "workers/calls/commands.ts: registerCommand (LINE_NUMBER = call.lineNumber)",
    input: NO_INPUT,
    value: "string",
    description: "LINE_NUMBER of the call: the DID it came in on or the trunk line it went out through.",
    schema: z.string(),
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  routeInbound: {
    side: "app",
    kind: "decision",
    when: "an inbound call entered Stasis and is recorded (callStarted), before anything rings",
    wraps:
      "app/routing/inbound.ts: startInbound (routing.dids.<did> → IVR or group, else routing.defaultGroup)",
    input: "{ did: string; callerNumber: string; }",
    value:
      '{ kind: "group"; group: string; } | { kind: "ivr"; group: string; } | { kind: "extension"; extension: string; ringSec: number; thenGroup?: string; } | { kind: "hangup"; reason: string; }',
    description: "Where an inbound call goes first: a group, the DID's IVR, one extension, or nowhere.",
    schema: v.inboundRoute,
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  ivrExtension: {
    side: "app",
    kind: "decision",
    when: "the caller finished entering digits in the IVR",
    wraps: "app/ivr/ivr.ts: finishInput (selectedExtension of the known operators)",
    input: "{ digits: string; }",
    value: "string | null",
    description: "The extension the IVR digits select (null: go on to the DID's group).",
    schema: z.string().min(1).nullable(),
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  beforeRing: {
    side: "app",
    kind: "decision",
    when: "a hunt starts: the members of a group (in strategy order) or one extension",
    wraps: "app/routing/hunt.ts: startGroupHunt (orderMembers) and startExtensionHunt",
    input: '{ kind: "group" | "extension"; target: string; purpose: LegPurpose; }',
    value: "string[]",
    description: "The extensions to ring, in order (remove, add, reorder).",
    schema: v.extensions,
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  beforeOriginate: {
    side: "app",
    kind: "command",
    when: "just before the app originates a channel: an operator leg; the client's trunk leg of an outbound call, a click-to-call or a callback (purpose trunk)",
    wraps: "app/routing/hunt.ts: dialLeg; app/clientLeg/dialClient.ts: dialClient (ctx.rest.dialOut)",
    input: "{ purpose: OriginatePurpose; extension: string | null; number: string | null; }",
    value: "OriginateParams",
    description: "The dial string, caller id, ring time and channel variables of an originate.",
    schema: v.originateParams,
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  onOriginateFailed: {
    side: "app",
    kind: "event",
    when: "ARI refused an originate (the phone is unreachable, the trunk is down, …)",
    wraps: "app/routing/hunt.ts: dialLeg catch; app/clientLeg/dialClient.ts: dialClient catch",
    input: "{ purpose: OriginatePurpose; endpoint: string; status: number; error: string; }",
    value: "void",
    description: 'Tell someone why a phone could not be rung (the seed\'s "reason 0" story).',
    schema: v.eventResult,
    defaultTimeLimitMs: APP_LIMIT_MS,
  },
  registerUser: {
    side: "workers",
    kind: "decision",
    when: "before register is built (live: when the first CRM user rings; ended: with finish)",
    wraps: "core/calls/decisions/registerUser.ts: registerUser",
    input: NO_INPUT,
    value: "UserChoice | null",
    description:
      "The user the call is registered for (null: wait for one, or the responsible user at the end).",
    schema: v.userChoice,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  cardAudience: {
    side: "workers",
    kind: "decision",
    when: "every round of a live call (show to newcomers, hide from leavers)",
    wraps: "core/calls/decisions/cardAudience.ts: cardAudience (with crm.cardMode / cardModeByUser)",
    input: NO_INPUT,
    value: "number[]",
    description: "The CRM users who should see the call card now.",
    schema: v.userIds,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  beforeRegister: {
    side: "workers",
    kind: "command",
    when: "register is built, before its intent is journaled and it is sent",
    wraps: "workers/calls/commands.ts: registerCommand",
    input: NO_INPUT,
    value: "RegisterParams",
    description: "telephony.externalcall.register parameters (bind a CRM entity, a source, the type).",
    schema: v.registerParams,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  afterRegister: {
    side: "workers",
    kind: "event",
    when: "once, after the portal's CALL_ID is in the journal",
    wraps: "workers/calls/applyAnswers.ts: applyRegister",
    input: "{ bxCallId: string; userId: number; crmEntity: { type: string; id: number; } | null; }",
    value: "void",
    description: "React to the registration (e.g. update the bound lead).",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  onAnswer: {
    side: "workers",
    kind: "event",
    when: "once per conversation (an operator answered), once the call is registered",
    wraps: "core/calls/types.ts: CallState.conversations (conversationStarted)",
    input: "{ bxCallId: string; legId: string; extension: string; userId: number | null; at: string; }",
    value: "void",
    description: "An operator answered.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  onTransfer: {
    side: "workers",
    kind: "event",
    when: "once per transfer, once the call is registered",
    wraps: "core/calls/types.ts: CallState.transfers (transferred)",
    input:
      '{ bxCallId: string; index: number; kind: "blind" | "attended"; fromExtension: string; toExtension: string; fromUserId: number | null; toUserId: number | null; at: string; }',
    value: "void",
    description: "The call was transferred (blind or attended).",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  resolveResponsible: {
    side: "workers",
    kind: "decision",
    when: "building finish (USER_ID)",
    wraps: "core/calls/decisions/responsibleUser.ts: responsibleUser (finishInput in planSteps.ts)",
    input: NO_INPUT,
    value: "UserChoice | null",
    description: "The CRM user the call is finished for (null: the user it was registered for).",
    schema: v.userChoice,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  talkDuration: {
    side: "workers",
    kind: "decision",
    when: "building finish (DURATION)",
    wraps: "core/calls/decisions/talkDuration.ts: talkDurationSec",
    input: NO_INPUT,
    value: "number",
    description: "Talk time in whole seconds.",
    schema: v.seconds,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  statusCode: {
    side: "workers",
    kind: "decision",
    when: "building finish (STATUS_CODE)",
    wraps: "core/calls/decisions/statusCode.ts: statusCode (STATUS_CODE_BY_OUTCOME[callOutcome])",
    input: "{ outcome: CallOutcome; }",
    value: "string",
    description: "STATUS_CODE of finish (304 starts Bitrix24's missed-call automation).",
    schema: z.string().min(1),
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  beforeFinish: {
    side: "workers",
    kind: "command",
    when: "finish is built, before its intent is journaled and it is sent",
    wraps: "workers/calls/commands.ts: finishCommand",
    input: "{ bxCallId: string | null; }",
    value: "FinishParams",
    description: "telephony.externalcall.finish parameters (ADD_TO_CHAT per line, COST, FAILED_REASON).",
    schema: v.finishParams,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  afterFinish: {
    side: "workers",
    kind: "event",
    when: "once, after finish's answer (CRM_ACTIVITY_ID) is in the journal",
    wraps: "workers/calls/applyAnswers.ts: applyFinish",
    input: FINISHED,
    value: "void",
    description: "The call is in the CRM: update its activity, notify, write elsewhere.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  onMissed: {
    side: "workers",
    kind: "event",
    when: "once, after finish, for an inbound or internal call nobody answered",
    wraps: "core/calls/decisions/statusCode.ts: callOutcome = missed",
    input: FINISHED,
    value: "void",
    description: "Nobody answered: a callback task, a notification.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  onIvrMissed: {
    side: "workers",
    kind: "event",
    when: "once, as soon as the extension chosen in the IVR did not answer (the call may go on)",
    wraps: "core/calls/decisions/ivrMissedNotice.ts: ivrMissedNotice",
    input: "{ extension: string; digits: string; userId: number | null; }",
    value: "void",
    description: "The caller dialled a manager's extension in the IVR and the manager missed it.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  recordingSource: {
    side: "workers",
    kind: "decision",
    when: "after finish, before attachRecord is planned",
    wraps: "workers/calls/planSteps.ts: planRecording (spool file, or signed link in crm.recordDelivery url)",
    input: '{ delivery: "upload" | "url"; }',
    value:
      '{ kind: "file"; file: string; } | { kind: "url"; url: string; fileName: string; } | { kind: "none"; reason: string; }',
    description: "Where the recording comes from: the spool file, a link (external storage), or none.",
    schema: v.recordingSource,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  beforeAttachRecord: {
    side: "workers",
    kind: "command",
    when: "attachRecord is built, before its intent is journaled and it is sent",
    wraps: "workers/calls/commands.ts: attachRecordCommand / attachRecordUrlCommand",
    input: "{ bxCallId: string; source: RecordingSource; }",
    value: "AttachRecordParams",
    description: "telephony.externalcall.attachRecord parameters (FILENAME, RECORD_URL).",
    schema: v.attachRecordParams,
    defaultTimeLimitMs: DECISION_LIMIT_MS,
  },
  afterAttachRecord: {
    side: "workers",
    kind: "event",
    when: "once, after the recording is attached (uploaded or linked)",
    wraps: "workers/calls/applyAnswers.ts: applyRecord; workers/calls/recordingUpload.ts",
    input: "{ bxCallId: string; activityId: string | null; source: RecordingSource; }",
    value: "void",
    description: "The recording is in the CRM.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
  onCallFailed: {
    side: "workers",
    kind: "event",
    when: "once, when delivery gave up on the call for good (journal failed)",
    wraps: "workers/calls/callOutcome.ts: CallOutcomes.fail",
    input: "{ step: string; code: string; reason: string; }",
    value: "void",
    description: "The call could not be put in the CRM: alert someone, write it elsewhere.",
    schema: v.eventResult,
    defaultTimeLimitMs: EVENT_LIMIT_MS,
  },
};

export const HOOK_POINT_NAMES = Object.keys(HOOK_POINTS) as HookPointName[];

export function isHookPointName(name: string): name is HookPointName {
  return Object.hasOwn(HOOK_POINTS, name);
}
