import express, { type Express, type RequestHandler } from "express";
import type { Queue } from "bullmq";
import { requireAdmin } from "./adminAuth.ts";
import { bitrixEventsRouter } from "./bitrixEventsRoute.ts";
import { reprocessingRoutes } from "../reprocessing/readCallRoute.ts";
import { auditRoutes } from "../audit/auditRoutes.ts";
import { callsRouter } from "./callsRoutes.ts";
import { recordingsRouter } from "./recordingsRoute.ts";
import { errorResponder, requestLog } from "./requestLog.ts";
import { statusHandler, statusReporter } from "./statusRoute.ts";
import { metricsAuth, metricsHandler } from "./metricsRoute.ts";
import { dashboardRoutes } from "../dashboard/dashboardRoutes.ts";
import { rejectCrossSite } from "./crossSite.ts";
import type { HttpDeps } from "./types.ts";

export interface HttpApp {
  app: Express;
  /** Guards admin endpoints; later routers (re-processing, `/pbx/read_call`) mount behind it. */
  requireAdmin: RequestHandler;
  /** Lets background work (re-processing runs) finish and closes its connections. */
  close(): Promise<void>;
}

/** The routes of the itgrix HTTP API, without listening (tests and startHttpServer share it). */
export function createHttpApp(deps: HttpDeps, lifecycleQueue: Queue | undefined): HttpApp {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const admin = requireAdmin(deps.config, deps.logger);

  app.use(requestLog(deps.logger));
  const status = statusHandler(deps, lifecycleQueue);
  if (deps.config.http.statusAuth) app.get("/status", admin, status);
  else app.get("/status", status);
  app.get(
    "/metrics",
    metricsAuth(deps.config.http.metricsToken, admin),
    metricsHandler(deps, statusReporter(deps, lifecycleQueue)),
  );
  const dashboard = dashboardRoutes(deps, statusReporter(deps, lifecycleQueue));
  app.use("/dashboard", admin, dashboard.router);
  app.use(bitrixEventsRouter(deps));
  app.use(recordingsRouter(deps)); // signed links for the portal: the signature is the auth
  app.use("/calls", rejectCrossSite, admin, callsRouter(deps, lifecycleQueue));
  const reprocessing = reprocessingRoutes(deps, lifecycleQueue);
  app.use("/pbx", rejectCrossSite, admin, reprocessing.router);
  const audit = auditRoutes(deps);
  app.use("/audit", rejectCrossSite, admin, audit.router);
  deps.mountRoutes?.(app, admin);
  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use(errorResponder(deps.logger));
  const close = async () => {
    dashboard.close();
    await Promise.all([reprocessing.close(), audit.close().catch(() => undefined)]);
  };
  return { app, requireAdmin: admin, close };
}
