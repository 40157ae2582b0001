import type { CallState } from "../types.ts";

export interface IvrMissedNotice {
  /** The extension the caller chose in the IVR and that did not answer. */
  extension: string;
}

/**
 * The extra notification of the missed-IVR customization: the caller dialled extension X in the IVR
 * and X missed it (the app records that with `ivrMissed`). Given even when the call was answered later
 * by the group: X still missed the caller.
 */
export function ivrMissedNotice(call: CallState): IvrMissedNotice | undefined {
  const ivr = call.ivr;
  return ivr?.missed && ivr.extension !== undefined ? { extension: ivr.extension } : undefined;
}
