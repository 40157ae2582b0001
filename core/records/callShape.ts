import type { Direction } from "../calls/types.ts";
import { isInternalNumber } from "../config/routingRules.ts";
import type { CelRow } from "./callRecords.ts";
import { handledByApp, type ChannelFacts } from "./callChannels.ts";

/**
 * What kind of call the CEL rows describe, the way the live app decides it: from the Stasis arguments
 * of the first channel (`inbound,<DID>`, `outbound,<number>`) when it entered the application, else
 * from the dialplan alone (who called: an operator's phone or the outside; what was dialled). Pure.
 */
export interface CallShape {
  direction: Direction;
  clientNumber: string;
  lineNumber: string;
  originExtension?: string;
  /** The first channel of the call (its uniqueid is the linkedid). */
  origin: ChannelFacts;
  /** The client's channel: the caller (inbound, internal) or the outside party called (outbound). */
  client?: ChannelFacts;
  /** True when the itgrix application handled the call; false for the dialplan's fallback and others. */
  enteredStasis: boolean;
}

export interface ShapeOptions {
  /** `routing.internalPattern`: dialled numbers that name an operator's extension. */
  internalPattern: RegExp;
  operators: ReadonlySet<string>;
  /** The line of outbound calls (the trunk of `routing.trunkDialString`). */
  outboundLine: string;
}

export function shapeOf(
  rows: readonly CelRow[],
  channels: ReadonlyMap<string, ChannelFacts>,
  linkedId: string,
  options: ShapeOptions,
): CallShape | undefined {
  const origin = channels.get(linkedId) ?? channels.values().next().value;
  if (!origin) return undefined;
  const firstRow = rows.find((r) => r.uniqueId === origin.uniqueId);
  const [kind, arg] = origin.stasisArgs ?? [];
  const enteredStasis = handledByApp(origin);
  const fromOperator = origin.role === "operator";
  if (kind === "inbound" || (kind === undefined && !fromOperator)) {
    return {
      direction: "inbound",
      clientNumber: firstRow?.cidNum || origin.endpoint,
      lineNumber: (kind === "inbound" ? arg : undefined) || firstRow?.exten || "",
      origin,
      client: origin,
      enteredStasis,
    };
  }
  const dialled = (kind === "outbound" ? arg : undefined) || firstRow?.exten || "";
  const originExtension = origin.endpoint;
  if (isInternalNumber(dialled, options.internalPattern, options.operators)) {
    return {
      direction: "internal",
      clientNumber: originExtension,
      lineNumber: dialled,
      originExtension,
      origin,
      client: origin,
      enteredStasis,
    };
  }
  const client = [...channels.values()].find((c) => c !== origin && c.role === "outside");
  return {
    direction: "outbound",
    clientNumber: dialled,
    lineNumber: options.outboundLine,
    originExtension,
    origin,
    ...(client ? { client } : {}),
    enteredStasis,
  };
}
