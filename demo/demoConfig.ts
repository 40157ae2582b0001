import { DEFAULT_USER_ID, DIDS, GROUPS, IVR_EXTENSION_RING_SEC, PHONES } from "./callCentre.ts";

/**
 * The itgrix configuration the demo runs the app and the workers with: the testbed's ARI and Redis,
 * the emulator's portal (incoming webhook of the call-centre seed) and the call centre's DIDs and
 * groups. Pure: the result is validated by core/config in the unit tests.
 */
export interface DemoEndpoints {
  ari: { url: string; user: string; password: string; app: string };
  redisUrl: string;
  /** The emulator's base URL, e.g. http://127.0.0.1:18090. */
  portalUrl: string;
  httpPort: number;
  recordingDir: string;
  adminPassword: string;
}

export const DEMO_REDIS_PREFIX = "itgrix-demo";
/** From emulator/seeds/callcentre.json. */
export const DEMO_WEBHOOK_PATH = "/rest/1/demo-webhook-secret/";
export const DEMO_APPLICATION_TOKEN = "demo-application-token";

export function buildDemoConfig(e: DemoEndpoints): Record<string, unknown> {
  const groups = Object.fromEntries(
    Object.entries(GROUPS).map(([name, g]) => [
      name,
      {
        strategy: g.strategy,
        members: g.members,
        ringTimeoutSec: g.ringTimeoutSec,
        groupTimeoutSec: g.groupTimeoutSec,
      },
    ]),
  );
  const dids = Object.fromEntries(
    Object.entries(DIDS).map(([number, d]) => [
      number,
      d.ivr
        ? {
            group: d.group,
            ivr: { maxDigits: 3, digitTimeoutSec: 5, extensionRingTimeoutSec: IVR_EXTENSION_RING_SEC },
          }
        : { group: d.group },
    ]),
  );
  return {
    ari: e.ari,
    redis: { url: e.redisUrl, prefix: DEMO_REDIS_PREFIX },
    http: {
      host: "127.0.0.1",
      port: e.httpPort,
      adminUser: "admin",
      adminPassword: e.adminPassword,
      publicUrl: `http://127.0.0.1:${e.httpPort}`,
    },
    bitrix: {
      auth: { type: "webhook", webhookUrl: `${e.portalUrl.replace(/\/$/, "")}${DEMO_WEBHOOK_PATH}` },
      applicationToken: DEMO_APPLICATION_TOKEN,
      plan: "standard",
      requestTimeoutMs: 30_000,
    },
    crm: { cardMode: "ring", defaultUserId: DEFAULT_USER_ID, createLeads: true, addToChat: true },
    numbers: { defaultRegion: "RU" },
    routing: {
      operators: Object.keys(PHONES),
      groups,
      dids,
      defaultGroup: "sales",
      trunkDialString: "PJSIP/{number}@trunk",
      outboundRingTimeoutSec: 8,
    },
    recording: { enabled: true, format: "wav", spoolDir: e.recordingDir },
    workers: { concurrency: 50 },
    log: { level: "info" },
  };
}
