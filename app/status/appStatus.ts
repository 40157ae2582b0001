/**
 * Live status of the call-control process, shared (by reference) with the HTTP API.
 * A plain mutable object: the ARI adapter and the call runtime update it, `/status` reads it.
 */
export interface AppStatus {
  state: "starting" | "running" | "reconnecting" | "stopping";
  ariConnected: boolean;
  /** ISO timestamp of the last successful (re)connect. */
  ariConnectedSince?: string;
  ariReconnects: number;
  activeCalls: number;
  /** ISO timestamp of the last resync against Asterisk. */
  lastResyncAt?: string;
}

export function createAppStatus(): AppStatus {
  return { state: "starting", ariConnected: false, ariReconnects: 0, activeCalls: 0 };
}
