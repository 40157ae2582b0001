import { knownOperators, outboundLine } from "../config/routingRules.ts";
import type { Config } from "../config/schema.ts";
import type { RebuildOptions } from "./buildCall.ts";

/** The rebuild reads the configuration the way the live app does (core/config/routingRules.ts). */
export function rebuildOptionsFor(config: Pick<Config, "ari" | "routing" | "recording">): RebuildOptions {
  return {
    app: config.ari.app,
    operators: knownOperators(config),
    internalPattern: new RegExp(config.routing.internalPattern),
    outboundLine: outboundLine(config.routing.trunkDialString),
    recordingFormat: config.recording.format,
    spoolDir: config.recording.spoolDir,
  };
}
