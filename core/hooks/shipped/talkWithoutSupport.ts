import { z } from "zod";
import { talkDurationSec } from "../../calls/decisions/index.ts";
import type { CallState } from "../../calls/types.ts";
import { defineShipped, expandExtensionSet, extensionSet } from "./define.ts";

/**
 * Client customization 2: talk duration without the Support legs. Asterisk's CDR counts every
 * conversation of the call; the CRM should show how long the client talked with sales. Conversations
 * with `exclude.extensions` or members of `exclude.groups` do not count (nor, with
 * `excludeNonCrm: true`, conversations with extensions that are not CRM users). Same rounding as the
 * connector's own DURATION: the sum, rounded to whole seconds.
 */

const options = z.strictObject({
  exclude: extensionSet,
  excludeNonCrm: z.boolean().default(false),
});

export const talkWithoutSupport = defineShipped("talkWithoutSupport", options, {
  description: "talk duration without the Support legs",
  setup({ options, config, log }) {
    const { unknownGroups } = expandExtensionSet(options.exclude, config);
    if (unknownGroups.length > 0)
      log.warn({ groups: unknownGroups }, "excluded groups not in routing.groups");
  },
  hooks: {
    talkDuration(ctx) {
      const excluded = expandExtensionSet(ctx.options.exclude, ctx.config).extensions;
      const counts = (ext: string) =>
        !excluded.has(ext) && !(ctx.options.excludeNonCrm && ctx.users.userIdByExtension(ext) === undefined);
      const conversations = ctx.call.conversations.filter((c) => counts(c.extension));
      return talkDurationSec({ ...ctx.call, conversations } as CallState);
    },
  },
});
