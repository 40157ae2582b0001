import type { RequestHandler } from "express";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { secretsEqual } from "./secretCompare.ts";

/**
 * HTTP Basic for admin endpoints. Without a configured password the endpoints are closed (503), never
 * open: an installation that forgot the password must not expose re-processing to the network.
 */
export function requireAdmin(config: Config, logger: Logger): RequestHandler {
  const user = config.http.adminUser;
  const password = config.http.adminPassword;
  return (req, res, next) => {
    if (!password) {
      res.status(503).json({ error: "admin password not configured", key: "http.adminPassword" });
      return;
    }
    const presented = parseBasic(req.headers.authorization);
    // Both comparisons always run, so a wrong user name takes as long as a wrong password.
    const userOk = secretsEqual(presented?.user ?? "", user);
    const passwordOk = secretsEqual(presented?.password ?? "", password);
    if (presented && userOk && passwordOk) {
      next();
      return;
    }
    logger.warn(
      { path: req.path, remote: req.ip, presented: presented !== undefined },
      "admin authentication failed",
    );
    res.setHeader("WWW-Authenticate", 'Basic realm="itgrix", charset="UTF-8"');
    res.status(401).json({ error: "authentication required" });
  };
}

/** `Basic base64(user:password)` → its parts; anything else → undefined. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
