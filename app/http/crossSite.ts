import type { RequestHandler } from "express";

/**
 * A browser that logged in to the dashboard keeps sending the Basic credentials to this origin, also
 * for a form another site posts here. Changing admin requests (re-processing) are refused when the
 * browser says they come from another site. curl, scripts and Prometheus send neither header and are
 * not affected.
 */
export const rejectCrossSite: RequestHandler = (req, res, next) => {
  if (req.method === "GET" || req.method === "HEAD") return next();
  const site = req.headers["sec-fetch-site"];
  // Sec-Fetch-Site is what every current browser sends; Origin against Host is the fallback (it would
  // misjudge a reverse proxy that rewrites Host, which is why it is not the first check).
  const crossSite =
    site !== undefined
      ? site === "cross-site" || site === "same-site"
      : req.headers.origin !== undefined && !sameHost(req.headers.origin, req.headers.host);
  if (!crossSite) return next();
  res.status(403).json({ error: "cross-site request refused" });
};

function sameHost(origin: string, host: string | undefined): boolean {
  if (origin === "null") return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
