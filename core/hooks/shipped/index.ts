import { activitySettings } from "./activitySettings.ts";
import type { ShippedCustomization } from "./define.ts";
import { innerNumbers } from "./innerNumbers.ts";
import { ivrMissedNotify } from "./ivrMissedNotify.ts";
import { recordingLinkFromDb } from "./recordingLinkFromDb.ts";
import { responsibleBeforeSupport } from "./responsibleBeforeSupport.ts";
import { talkWithoutSupport } from "./talkWithoutSupport.ts";

/**
 * The customizations that ship with itgrix (the original client's six), enabled and configured under
 * `hooks.shipped.<name>`. Each is written against the published API like an integrator's module.
 */
export const SHIPPED: Readonly<Record<string, ShippedCustomization<never>>> = Object.freeze(
  Object.fromEntries(
    [
      responsibleBeforeSupport,
      talkWithoutSupport,
      recordingLinkFromDb,
      innerNumbers,
      ivrMissedNotify,
      activitySettings,
    ].map((c) => [c.name, c as unknown as ShippedCustomization<never>]),
  ),
);

export type { ShippedCustomization };
