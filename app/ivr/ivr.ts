import { knownOperators } from "../../core/config/routingRules.ts";
import type { Config } from "../../core/config/schema.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";
import { startExtensionHunt, startGroupHunt } from "../routing/hunt.ts";
import { runAppHook } from "../hooks/appHooks.ts";
import { addDigit, selectedExtension } from "./dtmf.ts";

type IvrConfig = NonNullable<Config["routing"]["dids"][string]["ivr"]>;

/**
 * IVR mode of a DID: answer, play the prompt, collect an extension by DTMF. The input so far lives
 * in the call's control record (`ctl.ivr`), so a restarted or reconnected app lets the caller go on.
 */

export { knownOperators } from "../../core/config/routingRules.ts";

function ivrConfigOf(ctx: CallContext, call: CallSession): IvrConfig | undefined {
  return ctx.config.routing.dids[call.ctl.lineNumber]?.ivr;
}

export async function startIvr(ctx: CallContext, call: CallSession, group: string): Promise<void> {
  const cfg = ivrConfigOf(ctx, call);
  const channelId = call.ctl.clientChannelId;
  if (!cfg || !channelId) return startGroupHunt(ctx, call, group);
  await ctx.rest.answer(channelId);
  await call.change(
    (c) => {
      c.clientAnswered = true;
      c.ivr = { group, digits: "", deadline: Date.now() + cfg.digitTimeoutSec * 1000 };
    },
    { type: "clientAnswered", at: nowIso() },
  );
  await ctx.rest.play(channelId, cfg.prompt).catch((err: Error) => {
    call.log.warn({ err: err.message }, "IVR prompt failed");
  });
  armDigitTimer(ctx, call);
}

function armDigitTimer(ctx: CallContext, call: CallSession): void {
  const ivr = call.ctl.ivr;
  if (ivr) ctx.timers.set(call.callId, "ivr", ivr.deadline - Date.now(), () => finishInput(ctx, call));
}

/** ChannelDtmfReceived on the client's channel while in the IVR. */
export async function onIvrDigit(ctx: CallContext, call: CallSession, digit: string): Promise<void> {
  const ivr = call.ctl.ivr;
  const cfg = ivrConfigOf(ctx, call);
  if (!ivr || !cfg || call.ctl.ending) return;
  const input = addDigit({ digits: ivr.digits, done: false }, digit, cfg.maxDigits);
  await call.change((c) => {
    c.ivr!.digits = input.digits;
    c.ivr!.deadline = Date.now() + cfg.digitTimeoutSec * 1000;
  });
  if (input.done) return finishInput(ctx, call);
  armDigitTimer(ctx, call);
}

async function finishInput(ctx: CallContext, call: CallSession): Promise<void> {
  const ivr = call.ctl.ivr;
  ctx.timers.clear(call.callId, "ivr");
  if (!ivr || call.ctl.ending) return;
  const operators = knownOperators(ctx.config);
  const own = selectedExtension(ivr.digits, operators) ?? null;
  const extension =
    (await runAppHook(ctx, call, "ivrExtension", { digits: ivr.digits }, own, (ext) =>
      ext === null || operators.has(ext) ? undefined : `${ext} is not a known operator`,
    )) ?? undefined;
  const input =
    ivr.digits !== "" ? [{ type: "ivrInput" as const, at: nowIso(), digits: ivr.digits, extension }] : [];
  await call.change((c) => (c.ivr = undefined), ...input);
  const ringSec = ivrConfigOf(ctx, call)?.extensionRingTimeoutSec;
  if (extension && ringSec) return startExtensionHunt(ctx, call, extension, ringSec, "ivr", ivr.group);
  await startGroupHunt(ctx, call, ivr.group);
}

/**
 * A caller who was in the IVR when the app lost Asterisk goes on: the digit timer runs again from
 * now (digits pressed while the app was away never reached it). Nothing to do if it still runs.
 */
export async function resumeIvr(ctx: CallContext, call: CallSession): Promise<void> {
  const cfg = ivrConfigOf(ctx, call);
  if (!call.ctl.ivr || ctx.timers.has(call.callId, "ivr")) return;
  const timeoutMs = (cfg?.digitTimeoutSec ?? 5) * 1000;
  await call.change((c) => (c.ivr!.deadline = Date.now() + timeoutMs));
  call.log.info({ digits: call.ctl.ivr.digits }, "caller in the IVR goes on after the resync");
  armDigitTimer(ctx, call);
}

export function inIvr(call: CallSession): boolean {
  return call.ctl.ivr !== undefined;
}
