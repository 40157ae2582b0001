import { z } from "zod";

/**
 * Run-time checks of what hooks return. A customization written in JavaScript (or with `any`) can
 * return anything; a value that fails its point's schema is refused like a throw (logged, counted, the
 * layer skipped), so a broken customization can never put a malformed command on the wire. Parameter
 * objects are strict: a key the connector owns (CALL_ID, EXTERNAL_CALL_ID, SHOW) or a misspelt one is
 * refused with its name in the log line.
 */

const userId = z.number().int().positive();
const nonEmpty = z.string().min(1);

export const userChoice = z.strictObject({ userId, reason: z.string() }).nullable();

export const inboundRoute = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("group"), group: nonEmpty }),
  z.strictObject({ kind: z.literal("ivr"), group: nonEmpty }),
  z.strictObject({
    kind: z.literal("extension"),
    extension: nonEmpty,
    ringSec: z.number().int().positive(),
    thenGroup: nonEmpty.optional(),
  }),
  z.strictObject({ kind: z.literal("hangup"), reason: z.string() }),
]);

export const recordingSource = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("file"), file: nonEmpty }),
  z.strictObject({ kind: z.literal("url"), url: z.string().url(), fileName: nonEmpty }),
  z.strictObject({ kind: z.literal("none"), reason: z.string() }),
]);

export const registerParams = z.strictObject({
  USER_ID: userId,
  PHONE_NUMBER: nonEmpty,
  TYPE: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]),
  LINE_NUMBER: z.string(),
  CALL_START_DATE: nonEmpty,
  CRM_CREATE: z.union([z.literal(0), z.literal(1)]),
  CRM_SOURCE: nonEmpty.optional(),
  CRM_ENTITY_TYPE: z.enum(["CONTACT", "COMPANY", "LEAD"]).optional(),
  CRM_ENTITY_ID: z.number().int().positive().optional(),
});

export const finishParams = z.strictObject({
  USER_ID: userId,
  DURATION: z.number().int().min(0),
  STATUS_CODE: nonEmpty,
  ADD_TO_CHAT: z.union([z.literal(0), z.literal(1)]),
  COST: z.number().min(0).optional(),
  COST_CURRENCY: nonEmpty.optional(),
  FAILED_REASON: z.string().optional(),
  VOTE: z.number().int().min(1).max(5).optional(),
});

export const attachRecordParams = z.strictObject({
  FILENAME: nonEmpty,
  RECORD_URL: z.string().url().optional(),
});

export const originateParams = z.strictObject({
  endpoint: nonEmpty,
  callerId: z.string(),
  timeoutSec: z.number().int().positive(),
  variables: z.record(z.string(), z.string()),
});

/** User ids, sorted and unique (the order the planner compares audiences in). */
export const userIds = z.array(userId).transform((ids) => [...new Set(ids)].sort((a, b) => a - b));

export const extensions = z.array(nonEmpty);
export const phoneNumber = nonEmpty;
export const seconds = z.number().int().min(0);
export const eventResult = z.undefined();
