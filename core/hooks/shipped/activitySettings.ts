import { z } from "zod";
import type { CrmParams, Direction } from "../api.ts";
import { defineShipped, portalDate } from "./define.ts";

/**
 * Client customization 6, the smaller ones through standard REST parameters:
 *
 * - `deadlineOffsetMin`: the call activity's deadline = the call's start (or end, `deadlineFrom`) +
 *   this many minutes. Bitrix24 does not take DEADLINE for a call activity directly: it follows
 *   START_TIME (bitrix24-contract §7), so START_TIME is what is updated;
 * - `autoComplete`: the activity is completed (COMPLETED=Y) when the call matches one of the rules
 *   (each rule: `directions` and/or `statusCodes`; an empty rule matches every call);
 * - `chatLines`: ADD_TO_CHAT (a chat message about the call) only for calls on these lines (DID or
 *   trunk line); without it the global `crm.addToChat` stands.
 *
 * The activity changes go in one `crm.activity.update` after finish (idempotent: sent again after a
 * crash rather than lost).
 */

const direction = z.enum(["inbound", "outbound", "internal", "callback"]);

const options = z.strictObject({
  deadlineOffsetMin: z.number().int().optional(),
  deadlineFrom: z.enum(["start", "end"]).default("end"),
  autoComplete: z
    .array(
      z.strictObject({
        directions: z.array(direction).optional(),
        statusCodes: z.array(z.string().min(1)).optional(),
      }),
    )
    .default([]),
  chatLines: z.array(z.string().min(1)).optional(),
});

export const activitySettings = defineShipped("activitySettings", options, {
  description: "activity deadline offset, auto-complete by call type, chat message for chosen lines",
  hooks: {
    async beforeFinish(ctx, next) {
      const lines = ctx.options.chatLines;
      if (lines === undefined) return undefined;
      return { ...(await next()), ADD_TO_CHAT: lines.includes(ctx.call.lineNumber) ? 1 : 0 };
    },
    async afterFinish(ctx) {
      const fields: CrmParams = {};
      const { deadlineOffsetMin, deadlineFrom, autoComplete } = ctx.options;
      if (deadlineOffsetMin !== undefined) {
        const from = deadlineFrom === "end" ? (ctx.call.endedAt ?? ctx.call.startedAt) : ctx.call.startedAt;
        fields.START_TIME = portalDate(Date.parse(from) + deadlineOffsetMin * 60_000);
      }
      const matches = (rule: (typeof autoComplete)[number]) =>
        (rule.directions?.includes(ctx.call.direction as Direction) ?? true) &&
        (rule.statusCodes?.includes(ctx.input.statusCode) ?? true);
      if (autoComplete.some(matches)) fields.COMPLETED = "Y";
      if (Object.keys(fields).length === 0) return;
      if (ctx.input.activityId === null) {
        ctx.log.warn({ fields: Object.keys(fields) }, "finish created no activity; nothing to update");
        return;
      }
      await ctx.crm.call(
        "crm.activity.update",
        { id: Number(ctx.input.activityId), fields },
        { ifUnknown: "resend" },
      );
    },
  },
});
