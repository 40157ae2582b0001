import { ariBaseUrl } from "./asteriskProcess.ts";
import { postgresUrl } from "./postgresProcess.ts";
import { redisUrl } from "./redisProcess.ts";
import type { TestbedSettings } from "./settings.ts";
import { chrootPath } from "./chrootPath.ts";

/** What `up` and `status` print as their last line; test/support/testbed.ts parses it. */
export interface TestbedInfo {
  ari: { url: string; user: string; password: string; app: string };
  sip: { host: string; port: number };
  redis: { url: string };
  /** Asterisk's CDR and CEL (tables `cdr`, `cel`). */
  postgres: { url: string };
  asterisk: { root: string; recordingDir: string };
}

export function testbedInfo(settings: TestbedSettings): TestbedInfo {
  return {
    ari: {
      url: ariBaseUrl(settings),
      user: settings.ariUser,
      password: settings.ariPassword,
      app: settings.ariApp,
    },
    sip: { host: "127.0.0.1", port: settings.sipPort },
    redis: { url: redisUrl(settings) },
    postgres: { url: postgresUrl(settings) },
    asterisk: {
      root: settings.rootfs,
      recordingDir: chrootPath(settings.rootfs, "/var/spool/asterisk/recording"),
    },
  };
}
