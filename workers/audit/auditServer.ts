import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * Which Asterisk server's records the audit reads (`cdr.url`), so its linkedids become the call ids
 * the app gave the calls (core/calls/serverScope.ts): `asterisk.serverId` when configured, else the
 * one id the app instances announced (`keys.servers`). Several announced ids and none configured is
 * a configuration the audit cannot guess: it fails with the key to set, rather than look for calls
 * under ids they never had (and re-register them: doubles).
 */

export class AuditServerUnknown extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditServerUnknown";
  }
}

export async function auditServerId(
  config: Pick<Config, "asterisk">,
  redis: Pick<Redis, "hkeys">,
  keys: Pick<RedisKeys, "servers">,
): Promise<string> {
  if (config.asterisk.serverId) return config.asterisk.serverId;
  const known = (await redis.hkeys(keys.servers)).sort();
  if (known.length === 1) return known[0]!;
  if (known.length === 0)
    throw new AuditServerUnknown(
      "no app instance has told its server id yet (it learns it at its first ARI connect): set asterisk.serverId",
    );
  throw new AuditServerUnknown(
    `several Asterisk servers share this cluster (${known.join(", ")}): set asterisk.serverId in the workers' configuration to the server whose records cdr.url reads`,
  );
}
