import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "../../core/logging/logger.ts";

/**
 * One debug line per request. Only the path is logged, never the query string or headers: both can
 * carry credentials.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on("finish", () => {
      logger.debug(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        "http request",
      );
    });
    next();
  };
}

/**
 * Turns body-parser and handler errors into JSON: a bad body is the client's fault (4xx with a clear
 * message), anything else is a 500 whose details stay in the log.
 */
export function errorResponder(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = clientMessage(e.type, e.message);
      logger.warn({ method: req.method, path: req.path, status, error: message }, "bad request");
      res.status(status).json({ error: message });
      return;
    }
    logger.error({ method: req.method, path: req.path, err: e.message }, "request failed");
    if (!res.headersSent) res.status(500).json({ error: "internal error" });
  };
}

function clientMessage(type: string | undefined, message: string | undefined): string {
  switch (type) {
    case "entity.too.large":
      return "request body too large";
    case "entity.parse.failed":
      return "request body could not be parsed";
    case "parameters.too.many":
      return "too many form fields";
    case "encoding.unsupported":
    case "charset.unsupported":
      return "unsupported body encoding";
    default:
      return message ?? "bad request";
  }
}
