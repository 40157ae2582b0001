import {
  ATTENDED,
  CRM_EXTENSIONS,
  DEFAULT_USER_ID,
  DIDS,
  GROUPS,
  IVR,
  PHONES,
  userIdOf,
} from "./callCentre.ts";

/**
 * What the soak runs the emulator and the connector with, derived from callCentre.ts: the emulator's
 * seed (the CRM users of the call centre) and the itgrix configuration of the app and the workers.
 * Pure: tested without servers (test/unit/soak/).
 */

export const SOAK_REDIS_PREFIX = "itgrix-soak";
const WEBHOOK_SECRET = "soak-webhook-secret";
const APPLICATION_TOKEN = "soak-application-token";

export interface SoakEndpoints {
  ari: { url: string; user: string; password: string; app: string };
  redisUrl: string;
  /** The emulator's base URL. */
  portalUrl: string;
  httpPort: number;
  recordingDir: string;
  adminPassword: string;
  signingKey: string;
}

export type RecordDelivery = "upload" | "url";

/** The emulator seed: an admin (user 1) and one active operator per CRM extension. */
export function buildSeed(): Record<string, unknown> {
  const operators = CRM_EXTENSIONS.map((ext) => ({
    ID: userIdOf(ext),
    NAME: "Operator",
    LAST_NAME: ext,
    UF_PHONE_INNER: ext,
    ACTIVE: true,
    EMAIL: `op${ext}@itgrix-soak.local`,
    WORK_POSITION: "Call-centre operator",
  }));
  return {
    domain: "itgrix-soak.bitrix24.local",
    users: [{ ID: DEFAULT_USER_ID, NAME: "Admin", LAST_NAME: "Soak", ACTIVE: true }, ...operators],
    contacts: [],
    companies: [],
    leads: [],
    webhooks: [{ userId: DEFAULT_USER_ID, secret: WEBHOOK_SECRET }],
    apps: [
      {
        clientId: "local.itgrix.soak",
        clientSecret: "soak-client-secret",
        applicationToken: APPLICATION_TOKEN,
        accessToken: "soak-access-token",
        refreshToken: "soak-refresh-token",
        accessTokenTtlSec: 3600,
        userId: DEFAULT_USER_ID,
      },
    ],
    offlineTokens: [],
  };
}

export function buildConfig(e: SoakEndpoints, recordDelivery: RecordDelivery): Record<string, unknown> {
  const dids = Object.fromEntries(
    Object.entries(DIDS).map(([number, d]) => [
      number,
      d.ivr ? { group: d.group, ivr: { ...IVR } } : { group: d.group },
    ]),
  );
  const publicUrl = `http://127.0.0.1:${e.httpPort}`;
  return {
    ari: e.ari,
    redis: { url: e.redisUrl, prefix: SOAK_REDIS_PREFIX },
    http: {
      host: "127.0.0.1",
      port: e.httpPort,
      adminUser: "admin",
      adminPassword: e.adminPassword,
      publicUrl,
      signingKey: e.signingKey,
    },
    bitrix: {
      auth: { type: "webhook", webhookUrl: `${e.portalUrl.replace(/\/$/, "")}/rest/1/${WEBHOOK_SECRET}/` },
      applicationToken: APPLICATION_TOKEN,
      plan: "standard",
      requestTimeoutMs: 30_000,
    },
    crm: {
      cardMode: "ring",
      defaultUserId: DEFAULT_USER_ID,
      createLeads: true,
      addToChat: true,
      recordDelivery,
    },
    numbers: { defaultRegion: "RU" },
    routing: {
      operators: [...Object.keys(PHONES), ATTENDED.extension],
      groups: GROUPS,
      dids,
      defaultGroup: "sales",
      trunkDialString: "PJSIP/{number}@trunk",
    },
    recording: { enabled: true, format: "wav", spoolDir: e.recordingDir },
    log: { level: "info" },
  };
}
