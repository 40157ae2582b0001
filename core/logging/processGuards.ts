import type { Logger } from "./logger.ts";

/**
 * Last-resort handlers of a long-running process: an exception nobody caught, or a rejected promise
 * nobody awaited, is logged with what is known about it and counted (`onError`), and the process goes
 * on — an outage (Asterisk, Redis, the portal) must never take a process down; the code on the path
 * of every event handles its own errors, this only catches what slipped through.
 */
export function guardProcess(
  logger: Logger,
  onError: (kind: "uncaught" | "unhandledRejection") => void,
): void {
  process.on("uncaughtException", (err, origin) => {
    logger.error({ err, origin }, "uncaught exception; the process goes on");
    onError("uncaught");
  });
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "unhandled promise rejection; the process goes on");
    onError("unhandledRejection");
  });
}

/** A listener for a connection's `error` events that logs one line a minute at most. */
export function throttledErrorLog(logger: Logger, message: string, everyMs = 60_000): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    logger.warn({ err: err.message }, message);
  };
}
