import { basename, extname } from "node:path";
import type { CallState } from "../../core/calls/types.ts";
import type { CardMode, Config } from "../../core/config/schema.ts";
import {
  callIsOver,
  cardAudience,
  isCrmCall,
  registerUser,
  responsibleUser,
  statusCode,
  talkDurationSec,
  type UserDirectory,
} from "../../core/calls/decisions/index.ts";
import type { CommandGroup, CrmCommand } from "../delivery/types.ts";
import { isSafeSpoolFile } from "../../core/recordings/spoolPath.ts";
import { signedRecordingUrl } from "../../core/recordings/signedLink.ts";
import {
  attachRecordCommand,
  attachRecordUrlCommand,
  cardCommand,
  finishCommand,
  refToRegister,
  registerCommand,
  type CallIdParam,
} from "./commands.ts";
import type { JournalStep, StepJournal } from "./journal.ts";
import { clientPhoneNumber } from "./phoneNumber.ts";

/**
 * The planner: what the CRM still lacks for one call, as command groups. PURE — the call state, the
 * journal, the directory and the config in; commands out. The reconciler sends the groups, writes the
 * answers into the journal and asks again until nothing is left.
 */

export type CallDirectory = UserDirectory;

export interface Plan {
  /** Sent in order; each group travels in one batch. */
  groups: CommandGroup[];
  /** Nothing to send until the call changes (e.g. `operator`, `recording`, `callEnd`). */
  waitFor?: string;
  /** Ask the portal's call statistics before doing anything (a register may have run unrecorded). */
  check?: "statistic";
  /** Not a call for the CRM: mark the journal skipped with this reason. */
  skip?: string;
  /** The call cannot be delivered (permanent); mark it failed. */
  fail?: { code: string; reason: string; step: JournalStep };
  /** The recording will not be attached (format, configuration); store the reason, the call is done. */
  recordSkip?: string;
  /** Nothing is left: the call is fully in the CRM. */
  done?: boolean;
}

export type PlanConfig = Pick<Config, "crm" | "numbers"> & {
  http?: Pick<Config["http"], "publicUrl" | "signingKey" | "recordLinkTtlSec">;
};

const NOTHING: Plan = { groups: [] };

export function planSteps(
  call: CallState,
  journal: StepJournal,
  directory: CallDirectory,
  config: PlanConfig,
  /** Dates the signed recording link of `crm.recordDelivery: "url"` (the caller's clock). */
  now?: Date,
): Plan {
  if (journal.failed || journal.skipped) return NOTHING;
  if (!isCrmCall(call, { registerInternal: config.crm.registerInternal })) {
    return { groups: [], skip: `${call.direction} call, not registered in the CRM (crm.registerInternal)` };
  }
  const over = callIsOver(call);
  if (!journal.register.doneAt) {
    return over
      ? planRegisterAndFinish(call, journal, directory, config)
      : planRegister(call, directory, config);
  }
  if (!over) return planCards(call, journal, directory, config);
  if (!journal.finish?.doneAt) return planFinish(call, journal, directory, config);
  return planRecording(call, journal, config, now);
}

/** Live and not registered: register (no card from register itself), then show to the audience. */
function planRegister(call: CallState, directory: CallDirectory, config: PlanConfig): Plan {
  const userId = registerUser(call, directory, { defaultUserId: config.crm.defaultUserId })?.userId;
  if (userId === undefined) return { groups: [], waitFor: "operator" };
  const commands: CrmCommand[] = [
    registerCommand(call, {
      userId,
      phoneNumber: clientPhoneNumber(call, config),
      createLeads: config.crm.createLeads,
    }),
  ];
  const audience = cardAudience(call, directory, cardModeOf(call, directory, config));
  if (audience.length > 0) commands.push(cardCommand("show", refToRegister(0), audience));
  return { groups: [{ callId: call.callId, lane: "interactive", commands }] };
}

/**
 * Over and never registered: register and finish in one group, finish citing register's CALL_ID, and
 * no card at all. A register intent without an answer means an earlier group may have gone through:
 * the portal's statistics are asked first.
 */
function planRegisterAndFinish(
  call: CallState,
  journal: StepJournal,
  directory: CallDirectory,
  config: PlanConfig,
): Plan {
  if (journal.register.intentAt) return { groups: [], check: "statistic" };
  const finish = finishInput(call, directory, config, undefined);
  if (!finish) return noUser();
  const register = registerCommand(call, {
    userId: finish.userId,
    phoneNumber: clientPhoneNumber(call, config),
    createLeads: config.crm.createLeads,
  });
  const commands = [register, finishCommand(refToRegister(0), finish)];
  return { groups: [{ callId: call.callId, lane: "bulk", commands }] };
}

/** Registered and live: one show for new viewers, one hide for those who should no longer see it. */
function planCards(
  call: CallState,
  journal: StepJournal,
  directory: CallDirectory,
  config: PlanConfig,
): Plan {
  const desired = new Set(cardAudience(call, directory, cardModeOf(call, directory, config)));
  const shown = new Set(journal.cardsShownTo);
  const additions = [...desired].filter((u) => !shown.has(u));
  const removals = [...shown].filter((u) => !desired.has(u));
  const callId = journal.bxCallId!;
  const commands: CrmCommand[] = [];
  if (removals.length > 0) commands.push(cardCommand("hide", callId, removals));
  if (additions.length > 0) commands.push(cardCommand("show", callId, additions));
  if (commands.length === 0) return { groups: [], waitFor: "callEnd" };
  return { groups: [{ callId: call.callId, lane: "interactive", commands }] };
}

/** Over and registered: hide every card still shown, then finish. */
function planFinish(
  call: CallState,
  journal: StepJournal,
  directory: CallDirectory,
  config: PlanConfig,
): Plan {
  const callId: CallIdParam = journal.bxCallId!;
  const finish = finishInput(call, directory, config, journal.registeredFor);
  if (!finish) return noUser();
  const commands: CrmCommand[] = [];
  if (journal.cardsShownTo.length > 0) commands.push(cardCommand("hide", callId, journal.cardsShownTo));
  commands.push(finishCommand(callId, finish));
  return { groups: [{ callId: call.callId, lane: "bulk", commands }] };
}

const ATTACHABLE = new Set([".wav", ".mp3"]);

/**
 * Finished: the recording follows once it is done. `upload`: attachRecord FILENAME, the file goes to
 * the answered uploadUrl outside the batch. `url`: attachRecord RECORD_URL, a signed link to this
 * connector's HTTP API, and nothing else to send.
 */
function planRecording(
  call: CallState,
  journal: StepJournal,
  config: PlanConfig,
  now: Date | undefined,
): Plan {
  if (journal.record?.doneAt || journal.record?.error) return { groups: [], done: true };
  const recording = call.recording;
  if (!recording || recording.state === "failed") return { groups: [], done: true };
  if (recording.state === "recording" || !recording.file) return { groups: [], waitFor: "recording" };
  const fileName = basename(recording.file);
  if (!ATTACHABLE.has(extname(fileName).toLowerCase())) {
    return { groups: [], recordSkip: `recording ${fileName} is not wav or mp3` };
  }
  if (!isSafeSpoolFile(recording.file)) {
    return { groups: [], recordSkip: `recording path ${recording.file} is not inside the spool` };
  }
  if (config.crm.recordDelivery === "upload") {
    const commands = [attachRecordCommand(journal.bxCallId!, fileName)];
    return { groups: [{ callId: call.callId, lane: "bulk", commands }] };
  }
  const { publicUrl, signingKey, recordLinkTtlSec } = config.http ?? {};
  if (!publicUrl || !signingKey) {
    return { groups: [], recordSkip: "crm.recordDelivery=url needs http.publicUrl and http.signingKey" };
  }
  const url = signedRecordingUrl({
    publicUrl,
    file: recording.file,
    key: signingKey,
    nowMs: (now ?? new Date()).getTime(),
    ttlSec: recordLinkTtlSec,
  });
  const commands = [attachRecordUrlCommand(journal.bxCallId!, url, fileName)];
  return { groups: [{ callId: call.callId, lane: "bulk", commands }] };
}

function finishInput(
  call: CallState,
  directory: CallDirectory,
  config: PlanConfig,
  registeredFor: number | undefined,
): { userId: number; duration: number; statusCode: string; addToChat: boolean } | undefined {
  const userId =
    responsibleUser(call, directory, { defaultUserId: config.crm.defaultUserId })?.userId ?? registeredFor;
  if (userId === undefined) return undefined;
  return {
    userId,
    duration: talkDurationSec(call),
    statusCode: statusCode(call),
    addToChat: config.crm.addToChat,
  };
}

function noUser(): Plan {
  return {
    groups: [],
    fail: {
      code: "NO_USER",
      reason: "no CRM user rang or answered and crm.defaultUserId is not set",
      step: "register",
    },
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
