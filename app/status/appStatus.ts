import type { AppView } from "../../core/status/statusReport.ts";

/**
 * Live status of the call-control process, shared (by reference) with the HTTP API.
 * A plain mutable object: the ARI adapter and the call runtime update it, `/status` reads it.
 */
export type AppStatus = AppView;

export function createAppStatus(): AppStatus {
  return { state: "starting", ariConnected: false, ariReconnects: 0, activeCalls: 0 };
}
