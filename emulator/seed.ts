import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const id = z.coerce.number().int().positive();
const phones = z.array(z.string()).default([]);

const seedSchema = z.object({
  domain: z.string().min(1),
  users: z.array(
    z.looseObject({
      ID: id,
      NAME: z.string().default(""),
      LAST_NAME: z.string().default(""),
      UF_PHONE_INNER: z.string().optional(),
      ACTIVE: z.boolean().default(true),
    }),
  ),
  contacts: z.array(z.looseObject({ ID: id, PHONE: phones, ASSIGNED_BY_ID: id.optional() })).default([]),
  companies: z.array(z.looseObject({ ID: id, PHONE: phones, ASSIGNED_BY_ID: id.optional() })).default([]),
  leads: z.array(z.looseObject({ ID: id, PHONE: phones, ASSIGNED_BY_ID: id.optional() })).default([]),
  webhooks: z.array(z.object({ userId: id, secret: z.string().min(1) })).default([]),
  apps: z
    .array(
      z.object({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        applicationToken: z.string().min(1),
        accessToken: z.string().min(1),
        refreshToken: z.string().min(1),
        accessTokenTtlSec: z.number().positive().default(3600),
        userId: id.default(1),
        name: z.string().optional(),
      }),
    )
    .default([]),
  offlineTokens: z.array(z.object({ token: z.string().min(1), userId: id })).default([]),
});

/** The seed file's format (see emulator/README.md). */
export type Seed = z.input<typeof seedSchema>;
export type ParsedSeed = z.output<typeof seedSchema>;
export type SeedApp = ParsedSeed["apps"][number];

export const defaultSeedPath = fileURLToPath(new URL("./seeds/callcentre.json", import.meta.url));

export function parseSeed(seed: Seed): ParsedSeed {
  return seedSchema.parse(seed);
}

export function loadSeedFile(path: string = defaultSeedPath): Seed {
  return JSON.parse(readFileSync(path, "utf8")) as Seed;
}
