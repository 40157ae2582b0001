import { z } from "zod";
import type { HookContext, HookPointName } from "../api.ts";
import { defineShipped } from "./define.ts";

/**
 * Client customization 3: recordings live in separate storage, and a table in Asterisk's PostgreSQL
 * maps calls (linkedid) to links. The link goes to the CRM as attachRecord's RECORD_URL (the portal
 * downloads it and shows a player) and/or into a field of the call's activity (`activityField`).
 * No row for the call (or no database configured) → the connector's own recording is used.
 *
 * The query is `SELECT <urlColumn> FROM <table> WHERE <linkedidColumn> = $1 LIMIT 1`; names are
 * checked identifiers (optionally `schema.table`), quoted; the linkedid is a parameter.
 */

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/,
    "a SQL identifier (letters, digits, _; schema.table)",
  );

const options = z.strictObject({
  table: identifier.default("recording_links"),
  linkedidColumn: identifier.default("linkedid"),
  urlColumn: identifier.default("url"),
  /** Send the link as attachRecord's RECORD_URL (instead of the spool file). */
  recordUrl: z.boolean().default(true),
  /** Also write the link into this field of the call activity (crm.activity.update), e.g. a custom field. */
  activityField: z.string().min(1).optional(),
});

type Options = z.infer<typeof options>;

export const recordingLinkFromDb = defineShipped("recordingLinkFromDb", options, {
  description: "recording link from external storage (PostgreSQL by linkedid) as RECORD_URL / activity field",
  hooks: {
    async recordingSource(ctx) {
      if (!ctx.options.recordUrl) return undefined;
      const url = await linkOf(ctx);
      if (url === undefined) return undefined;
      return { kind: "url", url, fileName: fileNameOf(url, ctx.callId) };
    },
    async afterFinish(ctx) {
      const field = ctx.options.activityField;
      if (field === undefined) return;
      if (ctx.input.activityId === null) {
        ctx.log.warn("finish created no activity; the recording link is not written");
        return;
      }
      const url = await linkOf(ctx);
      if (url === undefined) return;
      const params = { id: Number(ctx.input.activityId), fields: { [field]: url } };
      await ctx.crm.call("crm.activity.update", params, { ifUnknown: "resend" });
    },
  },
});

async function linkOf<P extends HookPointName>(ctx: HookContext<P, Options>): Promise<string | undefined> {
  if (!ctx.db) {
    ctx.log.warn("no PostgreSQL configured; recording links cannot be looked up");
    return undefined;
  }
  const { table, linkedidColumn, urlColumn } = ctx.options;
  const sql = `SELECT ${quote(urlColumn)} AS url FROM ${quote(table)} WHERE ${quote(linkedidColumn)} = $1 LIMIT 1`;
  const { rows } = await ctx.db.query<{ url: unknown }>(sql, [ctx.callId]);
  const url = rows[0]?.url;
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
    ctx.log.info({ found: rows.length > 0 }, "no recording link for the call");
    return undefined;
  }
  return url;
}

function quote(name: string): string {
  return name
    .split(".")
    .map((part) => `"${part}"`)
    .join(".");
}

/** The link's last path segment when it looks like a file name, else `<linkedid>.mp3`. */
function fileNameOf(url: string, callId: string): string {
  const last = decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "");
  return /^[\w.-]+\.(mp3|wav|ogg)$/i.test(last) ? last : `${callId}.mp3`;
}
