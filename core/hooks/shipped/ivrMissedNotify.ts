import { z } from "zod";
import { defineShipped } from "./define.ts";

/**
 * Client customization 5: a caller dialled a manager's extension in the IVR and the manager did not
 * answer (the call went on to the group): that manager gets a Bitrix24 notification
 * (`im.notify.personal.add`), so the missed client is called back by the person they wanted.
 *
 * `message` placeholders: #CLIENT# (the caller's number), #EXTENSION#, #LINE#, #CALL_ID#.
 * `tag: true` adds TAG `itgrix-ivr-missed-<linkedid>` (a repeat replaces the notification instead of
 * adding one; with webhook auth the portal then also wants CLIENT_ID, which webhooks do not have).
 */

const options = z.strictObject({
  message: z
    .string()
    .min(1)
    .default(
      "Missed call from #CLIENT#: the caller chose your extension #EXTENSION# in the IVR (line #LINE#).",
    ),
  tag: z.boolean().default(false),
});

export const ivrMissedNotify = defineShipped("ivrMissedNotify", options, {
  description: "missed on the IVR → im.notify.personal.add to the manager whose extension was dialled",
  hooks: {
    async onIvrMissed(ctx) {
      const { userId, extension } = ctx.input;
      if (userId === null) {
        ctx.log.info({ extension }, "the extension chosen in the IVR is not a CRM user; nobody to notify");
        return;
      }
      const message = ctx.options.message
        .replaceAll("#CLIENT#", ctx.call.clientNumber)
        .replaceAll("#EXTENSION#", extension)
        .replaceAll("#LINE#", ctx.call.lineNumber)
        .replaceAll("#CALL_ID#", ctx.callId);
      const params = {
        USER_ID: userId,
        MESSAGE: message,
        ...(ctx.options.tag ? { TAG: `itgrix-ivr-missed-${ctx.callId}` } : {}),
      };
      // A repeat after a worker died between sending and storing the answer is a duplicate notice;
      // not sending it could lose the callback, which is worse.
      await ctx.crm.call("im.notify.personal.add", params, { ifUnknown: "resend" });
    },
  },
});
