import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CrmCommand, CrmDelivery } from "../delivery/types.ts";

/** The telephony events the app handles (contract §3). */
export const BOUND_EVENTS = ["ONEXTERNALCALLSTART", "ONEXTERNALCALLBACKSTART"] as const;

/**
 * The `event.bind` commands for the configuration (pure): offline handlers for `events.delivery`
 * offline/both, online handlers at `{http.publicUrl}/bitrix/events` for online/both when a public URL
 * is set. Nothing for a webhook: `event.*` is app-only (an outgoing webhook is set up by hand).
 */
export function bindCommands(config: Pick<Config, "events" | "http" | "bitrix">): CrmCommand[] {
  if (!config.events.bindOnStart || !config.bitrix.auth || config.bitrix.auth.type === "webhook") return [];
  const commands: CrmCommand[] = [];
  const publicUrl = config.http.publicUrl?.replace(/\/$/, "");
  for (const event of BOUND_EVENTS) {
    if (config.events.delivery !== "online") {
      commands.push({ method: "event.bind", params: { event, event_type: "offline" } });
    }
    if (config.events.delivery !== "offline" && publicUrl) {
      commands.push({ method: "event.bind", params: { event, handler: `${publicUrl}/bitrix/events` } });
    }
  }
  return commands;
}

/**
 * Binds the handlers at start. Handlers are removed when the app is updated, so binding at every
 * start is how they come back; "already binded" is success.
 */
export async function bindEvents(
  config: Pick<Config, "events" | "http" | "bitrix">,
  delivery: Pick<CrmDelivery, "send">,
  logger: Logger,
): Promise<void> {
  const commands = bindCommands(config);
  if (commands.length === 0) return;
  const results = await delivery.send({ callId: "crmevents:bind", lane: "bulk", commands });
  results.forEach((result, i) => {
    const params = commands[i]!.params;
    if (result.ok || /already bind/i.test(result.error.description)) {
      logger.info({ event: params.event, offline: params.event_type === "offline" }, "event handler bound");
    } else {
      logger.error(
        { event: params.event, code: result.error.code, err: result.error.description },
        "event.bind refused: clicks will not reach the app",
      );
    }
  });
}
