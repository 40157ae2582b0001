import { z } from "zod";
import type { CallView, UserLookup } from "../api.ts";
import { defineShipped, expandExtensionSet, extensionSet } from "./define.ts";

/**
 * Client customization 1: the responsible user is the last CRM manager who answered before the call
 * went to Support — a group or extension that must never own a call (Support staff are often not CRM
 * users at all, or are users who must not get the client). The policy is named and configurable:
 *
 * - `lastBeforeSupport` (default): the last CRM user in a conversation that started before the first
 *   conversation with Support; a call that never reached Support → the last CRM user who answered;
 * - `lastAnswered`: the last CRM user who answered, Support left out;
 * - `firstAnswered`: the first CRM user who answered, Support left out;
 * - `longestTalk`: the CRM user with the longest total talk time, Support left out (ties: the later).
 *
 * Support = `support.extensions` + members of `support.groups`, and (unless `nonCrmIsSupport: false`)
 * every extension that is not a CRM user. Nobody qualifies → the connector's own choice stands.
 */

const options = z.strictObject({
  policy: z
    .enum(["lastBeforeSupport", "lastAnswered", "firstAnswered", "longestTalk"])
    .default("lastBeforeSupport"),
  support: extensionSet,
  nonCrmIsSupport: z.boolean().default(true),
});

export type ResponsiblePolicy = z.infer<typeof options>["policy"];

interface Talk {
  userId: number | undefined;
  support: boolean;
  startMs: number;
  talkMs: number;
}

export const responsibleBeforeSupport = defineShipped("responsibleBeforeSupport", options, {
  description: "responsible = the last CRM manager who answered before the call went to Support",
  setup({ options, config, log }) {
    const { unknownGroups } = expandExtensionSet(options.support, config);
    if (unknownGroups.length > 0) log.warn({ groups: unknownGroups }, "support groups not in routing.groups");
  },
  hooks: {
    resolveResponsible(ctx) {
      const support = expandExtensionSet(ctx.options.support, ctx.config).extensions;
      const talks = talksOf(
        ctx.call,
        ctx.users,
        (ext, userId) => support.has(ext) || (ctx.options.nonCrmIsSupport && userId === undefined),
      );
      const userId = pick(ctx.options.policy, talks);
      return userId === undefined ? undefined : { userId, reason: ctx.options.policy };
    },
  },
});

function talksOf(
  call: CallView,
  users: UserLookup,
  isSupport: (ext: string, userId?: number) => boolean,
): Talk[] {
  const endMs = call.endedAt ? Date.parse(call.endedAt) : undefined;
  return [...call.conversations]
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
    .map((c) => {
      const userId = users.userIdByExtension(c.extension);
      const startMs = Date.parse(c.startedAt);
      const end = c.endedAt ? Date.parse(c.endedAt) : endMs;
      return {
        userId,
        support: isSupport(c.extension, userId),
        startMs,
        talkMs: end === undefined ? 0 : end - startMs,
      };
    });
}

function pick(policy: ResponsiblePolicy, talks: Talk[]): number | undefined {
  const firstSupport = talks.findIndex((t) => t.support);
  const before = firstSupport === -1 ? talks : talks.slice(0, firstSupport);
  const crm = (list: Talk[]) => list.filter((t) => !t.support && t.userId !== undefined);
  if (policy === "lastBeforeSupport") return crm(before).at(-1)?.userId;
  if (policy === "lastAnswered") return crm(talks).at(-1)?.userId;
  if (policy === "firstAnswered") return crm(talks)[0]?.userId;
  const totals = new Map<number, number>();
  for (const t of crm(talks)) totals.set(t.userId!, (totals.get(t.userId!) ?? 0) + t.talkMs);
  let best: number | undefined;
  for (const [userId, ms] of totals) if (best === undefined || ms >= totals.get(best)!) best = userId;
  return best;
}
