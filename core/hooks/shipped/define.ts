import { z } from "zod";
import type { Customization, DeepReadonly, HookConfigView } from "../api.ts";

/**
 * The shipped customizations are written against the same published API as an integrator's (api.ts);
 * the only extra is a zod schema for their options, so that `hooks.shipped.<name>.options` is
 * validated with the rest of the configuration at startup, a bad value naming its key.
 */
export interface ShippedCustomization<O> extends Customization<O> {
  name: string;
  optionsSchema: z.ZodType<O>;
}

export function defineShipped<O>(
  name: string,
  optionsSchema: z.ZodType<O>,
  body: Omit<Customization<O>, "parseOptions">,
): ShippedCustomization<O> {
  return { name, optionsSchema, parseOptions: (raw) => optionsSchema.parse(raw), ...body };
}

/** A rewrite rule, as in `numbers.userRewrite`: a JavaScript regular expression and a replacement. */
export const rewriteRule = z.strictObject({
  pattern: z
    .string()
    .min(1)
    .refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, "not a valid regular expression"),
  replacement: z.string(),
});

/** Extensions and groups (members of `routing.groups.<name>`) that a customization treats specially. */
export const extensionSet = z
  .strictObject({
    extensions: z.array(z.string().min(1)).default([]),
    groups: z.array(z.string().min(1)).default([]),
  })
  .prefault({});

export type ExtensionSet = z.infer<typeof extensionSet>;

/** The listed extensions plus the members of the listed groups; unknown group names are returned apart. */
export function expandExtensionSet(
  set: ExtensionSet,
  config: DeepReadonly<HookConfigView>,
): { extensions: Set<string>; unknownGroups: string[] } {
  const extensions = new Set(set.extensions);
  const unknownGroups: string[] = [];
  for (const name of set.groups) {
    const group = config.routing.groups[name];
    if (!group) unknownGroups.push(name);
    else for (const member of group.members) extensions.add(member);
  }
  return { extensions, unknownGroups };
}

/** ISO-8601 with an explicit offset and no milliseconds, the form the portal documents. */
export function portalDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}
