import { knownOperators } from "../../core/config/routingRules.ts";
import type { Config } from "../../core/config/schema.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { record } from "../calls/engine.ts";
import { startExtensionHunt, startGroupHunt } from "../routing/hunt.ts";
import { addDigit, emptyInput, selectedExtension, type DtmfInput } from "./dtmf.ts";

type IvrConfig = NonNullable<Config["routing"]["dids"][string]["ivr"]>;

interface IvrSession {
  cfg: IvrConfig;
  group: string;
  input: DtmfInput;
}

/** Calls in the IVR right now (input is short-lived; a restart mid-IVR sends the call to its group). */
const sessions = new Map<string, IvrSession>();

export { knownOperators } from "../../core/config/routingRules.ts";

/** IVR mode of a DID: answer, play the prompt, collect an extension by DTMF. */
export async function startIvr(
  ctx: CallContext,
  ctl: CallControl,
  cfg: IvrConfig,
  group: string,
): Promise<void> {
  const channelId = ctl.clientChannelId!;
  await ctx.rest.answer(channelId);
  ctl.clientAnswered = true;
  await ctx.controls.save(ctl);
  await record(ctx, ctl, { type: "clientAnswered", at: nowIso() });
  sessions.set(ctl.callId, { cfg, group, input: emptyInput() });
  await ctx.rest.play(channelId, cfg.prompt).catch((err: Error) => {
    ctx.logger.warn({ callId: ctl.callId, err: err.message }, "IVR prompt failed");
  });
  armDigitTimer(ctx, ctl, cfg);
}

function armDigitTimer(ctx: CallContext, ctl: CallControl, cfg: IvrConfig): void {
  ctx.timers.set(ctl.callId, "ivr", cfg.digitTimeoutSec * 1000, () => finishInput(ctx, ctl));
}

/** ChannelDtmfReceived on the client's channel while in the IVR. */
export async function onIvrDigit(ctx: CallContext, ctl: CallControl, digit: string): Promise<void> {
  const session = sessions.get(ctl.callId);
  if (!session || ctl.ending) return;
  session.input = addDigit(session.input, digit, session.cfg.maxDigits);
  if (session.input.done) return finishInput(ctx, ctl);
  armDigitTimer(ctx, ctl, session.cfg);
}

async function finishInput(ctx: CallContext, ctl: CallControl): Promise<void> {
  const session = sessions.get(ctl.callId);
  sessions.delete(ctl.callId);
  ctx.timers.clear(ctl.callId, "ivr");
  if (!session || ctl.ending) return;
  const { digits } = session.input;
  const extension = selectedExtension(digits, knownOperators(ctx.config));
  if (digits !== "") await record(ctx, ctl, { type: "ivrInput", at: nowIso(), digits, extension });
  if (extension) {
    return startExtensionHunt(ctx, ctl, extension, session.cfg.extensionRingTimeoutSec, "ivr", session.group);
  }
  await startGroupHunt(ctx, ctl, session.group);
}

export function inIvr(callId: string): boolean {
  return sessions.has(callId);
}

/** Forgets the IVR input of a call that is ending. */
export function dropIvr(callId: string): void {
  sessions.delete(callId);
}
