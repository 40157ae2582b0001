import type { AriLiveRecording } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";

/** Bridge recordings are named `itgrix/<callId>`: the call is found from the name alone. */
export const RECORDING_PREFIX = "itgrix/";

export function recordingNameOf(callId: string): string {
  return `${RECORDING_PREFIX}${callId}`;
}

export function callIdOfRecording(name: string): string | undefined {
  return name.startsWith(RECORDING_PREFIX) ? name.slice(RECORDING_PREFIX.length) : undefined;
}

/** Starts the mixed recording of the call's bridge once, when recording is enabled. */
export async function startRecording(ctx: CallContext, ctl: CallControl): Promise<void> {
  if (!ctx.config.recording.enabled || ctl.recording || !ctl.bridgeId) return;
  const name = recordingNameOf(ctl.callId);
  ctl.recording = name;
  await ctx.controls.save(ctl);
  try {
    await ctx.rest.recordBridge(ctl.bridgeId, name, ctx.config.recording.format);
  } catch (err) {
    ctx.logger.warn({ callId: ctl.callId, err: (err as Error).message }, "bridge recording failed to start");
    await ctx.runtime.record(ctl.callId, {
      type: "recordingFailed",
      at: nowIso(),
      name,
      cause: (err as Error).message,
    });
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
    await ctx.runtime.record(callId, { type: "recordingStarted", at, name: rec.name, format: rec.format });
  } else if (type === "RecordingFinished") {
    const file = `${rec.name}.${rec.format}`;
    await ctx.runtime.record(callId, {
      type: "recordingFinished",
      at,
      name: rec.name,
      file,
      durationSec: rec.duration,
    });
  } else {
    await ctx.runtime.record(callId, { type: "recordingFailed", at, name: rec.name, cause: rec.cause });
  }
}
