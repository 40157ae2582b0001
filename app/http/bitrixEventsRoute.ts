import express, { Router } from "express";
import { verifyBitrixEvent } from "./bitrixEvent.ts";
import type { HttpDeps } from "./types.ts";

/** Bitrix24 events are small; anything bigger is not an event. */
export const EVENT_BODY_LIMIT = "64kb";

/**
 * `POST /bitrix/events`: verifies `auth[application_token]`, acknowledges at once (Bitrix24 does not
 * retry, and calls slow handlers less often) and hands the event to `deps.onEvent` afterwards.
 */
export function bitrixEventsRouter(deps: HttpDeps): Router {
  const router = Router();
  const log = deps.logger;
  router.post(
    "/bitrix/events",
    express.urlencoded({ extended: true, limit: EVENT_BODY_LIMIT, parameterLimit: 200 }),
    (req, res) => {
      const verdict = verifyBitrixEvent(req.body, deps.config.bitrix.applicationToken);
      switch (verdict.kind) {
        case "malformed":
          log.warn({ remote: req.ip, error: verdict.error }, "malformed Bitrix24 event rejected");
          res.status(400).json({ error: verdict.error });
          return;
        case "notConfigured":
          log.warn({ remote: req.ip }, "Bitrix24 event rejected: bitrix.applicationToken is not configured");
          res.status(503).json({ error: "application token not configured", key: "bitrix.applicationToken" });
          return;
        case "unauthenticated":
          log.warn(
            { remote: req.ip, event: verdict.name, reason: verdict.reason },
            "Bitrix24 event rejected",
          );
          void deps.metrics.count("errors.EVENT_AUTH");
          res.status(401).json({ error: verdict.reason });
          return;
        case "ok": {
          const event = verdict.event;
          const callId = typeof event.data.CALL_ID === "string" ? event.data.CALL_ID : undefined;
          log.info(
            { event: event.name, bitrixCallId: callId, domain: event.domain },
            "Bitrix24 event received",
          );
          if (!deps.onEvent) void deps.metrics.count(`events.${event.name}`); // else the intake counts
          res.status(200).json({ ok: true });
          dispatch(deps, event);
        }
      }
    },
  );
  return router;
}

function dispatch(deps: HttpDeps, event: Parameters<NonNullable<HttpDeps["onEvent"]>>[0]): void {
  if (!deps.onEvent) return;
  const onError = (err: unknown) =>
    deps.logger.error(
      { event: event.name, err: (err as Error)?.message ?? String(err) },
      "event handler failed",
    );
  try {
    Promise.resolve(deps.onEvent(event)).catch(onError);
  } catch (err) {
    onError(err);
  }
}
