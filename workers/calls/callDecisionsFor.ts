import type { CallState } from "../../core/calls/types.ts";
import type { CardMode } from "../../core/config/schema.ts";
import { CallDecisions } from "../../core/hooks/callDecisions.ts";
import type { HookCrmGateway } from "../../core/hooks/ports.ts";
import { HookRunner } from "../../core/hooks/runner.ts";
import { createLogger } from "../../core/logging/logger.ts";
import type { CallDirectory, PlanConfig } from "./planSteps.ts";
import { cardModeOf } from "./planSteps.ts";

/**
 * The one place the planner's decisions are made: the pure decisions of core/calls/decisions with the
 * customizations of the process around them (core/hooks/callDecisions.ts). The reconciler passes its
 * HookSystem's runner; without one (tools, unit tests) a runner with no customization is used, which
 * gives exactly the connector's own values.
 */

const PLAIN = new HookRunner({
  logger: createLogger("hooks", "silent"),
  config: {
    routing: { operators: [], groups: {}, dids: {} },
    numbers: { defaultRegion: "RU", clientRewrite: [], userRewrite: [] },
    crm: { addToChat: false },
  },
});

export function decisionsFor(
  call: CallState,
  directory: CallDirectory,
  config: PlanConfig,
  runner: HookRunner = PLAIN,
  crm?: HookCrmGateway,
): CallDecisions {
  // Built on first use: only the rounds that plan cards need it.
  let cardModeFor: ((userId: number) => CardMode) | undefined;
  return new CallDecisions({
    runner,
    call,
    directory,
    config,
    cardModeFor: (userId) => (cardModeFor ??= cardModeOf(call, directory, config))(userId),
    ...(crm ? { crm } : {}),
  });
}
