/**
 * Several Asterisk servers, one cluster: every call id carries the id of the server it happened on, so
 * two servers' linkedids (both plain `<epoch>.<seq>` uniqueids unless `systemname` is set) never meet
 * in one Redis, one journal or one portal (`EXTERNAL_CALL_ID`). Pure; shared by the app (live calls,
 * resync), re-processing (CEL rows carry the bare linkedid) and tools.
 */

/** What a server id may contain: it ends up in Redis keys and call ids. */
export const SERVER_ID_PATTERN = /^[A-Za-z0-9_.]{1,64}$/;

/**
 * The call id of a linkedid: the linkedid itself when Asterisk already prefixed it with the server id
 * (its uniqueids start with `<systemname>-` when `systemname` is set), else `<serverId>-<linkedid>`.
 */
export function callIdOfLinkedId(serverId: string, linkedId: string): string {
  return linkedId.startsWith(`${serverId}-`) ? linkedId : `${serverId}-${linkedId}`;
}

/** Whether a call id belongs to this server. */
export function isCallOfServer(serverId: string, callId: string): boolean {
  return callId.startsWith(`${serverId}-`);
}

/**
 * The linkedids a call id may stand for in Asterisk's records, most likely first: the bare linkedid
 * (the prefix was added), then the call id itself (Asterisk's `systemname` prefixed it already).
 */
export function linkedIdsOfCallId(serverId: string, callId: string): string[] {
  if (!isCallOfServer(serverId, callId)) return [callId];
  return [callId.slice(serverId.length + 1), callId];
}

/**
 * The default server id from ARI's `GET /asterisk/info`: `config.name` (Asterisk's `systemname`), else
 * the entity id (a MAC address, its separators dropped); undefined when neither is usable.
 */
export function serverIdFromAsteriskInfo(info: unknown): string | undefined {
  const i = info as { config?: { name?: unknown }; system?: { entity_id?: unknown } } | null;
  for (const raw of [i?.config?.name, i?.system?.entity_id]) {
    if (typeof raw !== "string") continue;
    const id = raw.replace(/[^A-Za-z0-9_.]/g, "");
    if (SERVER_ID_PATTERN.test(id)) return id;
  }
  return undefined;
}
