import type { CallReactions } from "../calls/context.ts";
import { onClickerFailed } from "../clickToCall/clickerAnswered.ts";
import { onCallEnded, startRecording } from "../recording/recorder.ts";
import { continueHunt } from "../routing/hunt.ts";
import { completeTransfer } from "../transfers/blind.ts";

/**
 * How the features answer each other's steps — the one place call control is wired together (no
 * feature imports another's internals to hook itself in at import time).
 */
export const callReactions: CallReactions = {
  legFailed: (ctx, call) => (call.ctl.clickToCall ? onClickerFailed(ctx, call) : continueHunt(ctx, call)),
  transferAnswered: completeTransfer,
  bridged: startRecording,
  ended: onCallEnded,
};
