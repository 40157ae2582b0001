import { callIdOfLinkedId, isCallOfServer, serverIdFromAsteriskInfo } from "../../core/calls/serverScope.ts";
import type { Logger } from "../../core/logging/logger.ts";

/**
 * Which Asterisk server this app instance serves (`asterisk.serverId`, else Asterisk's `systemname`,
 * else its entity id — learnt at the first ARI connect). Call ids and the app's live-state keys carry
 * it, and a resync touches only its own calls, so several servers share one Redis and worker cluster.
 */
export class ServerIdentity {
  private current: string | undefined;

  constructor(configured?: string) {
    this.current = configured;
  }

  get known(): boolean {
    return this.current !== undefined;
  }

  get id(): string {
    if (this.current === undefined)
      throw new Error("the server id is not known before the first ARI connect");
    return this.current;
  }

  /** Learns the id from Asterisk (`GET /asterisk/info`) unless it is configured or known already. */
  async resolve(info: () => Promise<unknown>, logger: Logger): Promise<string> {
    if (this.current !== undefined) return this.current;
    const id = serverIdFromAsteriskInfo(await info());
    if (id === undefined) throw new Error("Asterisk gave neither a systemname nor an entity id");
    this.current = id;
    logger.info({ serverId: id }, "server id taken from Asterisk (set asterisk.serverId to fix it)");
    return id;
  }

  /** The call id of an Asterisk linkedid on this server. */
  callIdOf(linkedId: string): string {
    return callIdOfLinkedId(this.id, linkedId);
  }

  owns(callId: string): boolean {
    return isCallOfServer(this.id, callId);
  }
}
