import { isNotFound } from "../ari/rest.ts";
import type { AriLiveRecording } from "../ari/types.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";

/** Bridge recordings are named `itgrix/<callId>`: the call is found from the name alone. */
export const RECORDING_PREFIX = "itgrix/";

export function recordingNameOf(callId: string): string {
  return `${RECORDING_PREFIX}${callId}`;
}

export function callIdOfRecording(name: string): string | undefined {
  return name.startsWith(RECORDING_PREFIX) ? name.slice(RECORDING_PREFIX.length) : undefined;
}

/** Starts the mixed recording of the call's bridge once, when recording is enabled. */
export async function startRecording(ctx: CallContext, call: CallSession): Promise<void> {
  const bridgeId = call.ctl.bridgeId;
  if (!ctx.config.recording.enabled || call.ctl.recording || !bridgeId) return;
  const name = recordingNameOf(call.callId);
  await call.change((c) => (c.recording = name));
  try {
    await ctx.rest.recordBridge(bridgeId, name, ctx.config.recording.format);
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, "bridge recording failed to start");
    await call.record({ type: "recordingFailed", at: nowIso(), name, cause: (err as Error).message });
  }
}

/** RecordingStarted / Finished / Failed → call events (also after the call has ended). */
export async function onRecordingEvent(
  ctx: CallContext,
  type: "RecordingStarted" | "RecordingFinished" | "RecordingFailed",
  rec: AriLiveRecording,
): Promise<void> {
  const callId = callIdOfRecording(rec.name);
  if (!callId) return;
  const at = nowIso();
  if (type === "RecordingStarted") {
    await ctx.writer.record(callId, { type: "recordingStarted", at, name: rec.name, format: rec.format });
  } else if (type === "RecordingFinished") {
    const file = `${rec.name}.${rec.format}`;
    const durationSec = rec.duration;
    await ctx.writer.record(callId, { type: "recordingFinished", at, name: rec.name, file, durationSec });
  } else {
    await ctx.writer.record(callId, { type: "recordingFailed", at, name: rec.name, cause: rec.cause });
  }
}

/** How long after the call's end the app looks whether its recording's end was reported. */
const RECORDING_CHECK_MS = 2000;
const RECORDING_CHECKS = 10;

/** Reaction to a call's end: a recording it had must end in the model too. */
export function onCallEnded(ctx: CallContext, call: CallSession): void {
  if (call.ctl.recording) confirmRecordingEnd(ctx, call.callId, call.ctl.recording);
}

/**
 * After the call ended: a RecordingFinished that Asterisk sent while the app was away (a restart or
 * a websocket reconnect during the call) is never delivered again, and the recording would wait for
 * ever. So the app asks Asterisk: a recording that is no longer live but stored is finished; one that
 * is neither is failed. Nothing is recorded when the event came (the state's recording is not
 * `recording` any more).
 */
export function confirmRecordingEnd(ctx: CallContext, callId: string, name: string, check = 1): void {
  ctx.timers.set(callId, "recordingEnd", RECORDING_CHECK_MS, async () => {
    const recording = (await ctx.writer.get(callId))?.recording;
    if (recording?.name === name && recording.state !== "recording") return;
    const live = await ctx.rest.getLiveRecording(name).then(
      () => true,
      (err: Error) => (isNotFound(err) ? false : undefined),
    );
    if (live !== false) {
      if (check < RECORDING_CHECKS) confirmRecordingEnd(ctx, callId, name, check + 1);
      return;
    }
    const at = nowIso();
    try {
      const stored = await ctx.rest.getStoredRecording(name);
      ctx.logger.info({ callId, name }, "recording finished unreported; taken from the stored recordings");
      await ctx.writer.record(callId, {
        type: "recordingFinished",
        at,
        name,
        file: `${name}.${stored.format}`,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await ctx.writer.record(callId, { type: "recordingFailed", at, name, cause: "no stored recording" });
    }
  });
}
