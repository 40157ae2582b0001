import { z } from "zod";
import type { HookPointName } from "./api.ts";
import { HOOK_POINT_NAMES } from "./points.ts";
import { SHIPPED } from "./shipped/index.ts";

/**
 * The `hooks` section of the configuration (core/config/schema.ts). Strict like the rest (unknown keys
 * are found by core/config/schemaShape.ts): an unknown key, an unknown shipped customization or a bad
 * option of one stops the process with the key named.
 * Options of the integrator's own modules are checked when the module is loaded (its `parseOptions`).
 */

const pointName = z.enum(HOOK_POINT_NAMES as [HookPointName, ...HookPointName[]]);
const limitMs = z.number().int().positive();

const shippedEntry = z.object({
  enabled: z.boolean().default(true),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const hooksConfigSchema = z
  .object({
    /** Folder of the integrator's customization modules (*.ts, *.mts, *.js, *.mjs at its top level). */
    folder: z.string().min(1).optional(),
    /** Reload the folder's modules when a file in it changes. */
    watch: z.boolean().default(true),
    /** Quiet time after the last change before the folder is reloaded. */
    reloadDebounceMs: z.number().int().min(0).default(300),
    /** Type-check TypeScript modules against the published API before loading them (needs `typescript`). */
    typeCheck: z.boolean().default(true),
    /** Time limit of every point (else each point's own default: app 500 ms, decisions 2 s, events 10 s). */
    timeLimitMs: limitMs.optional(),
    /** Time limit per point, e.g. `{"afterFinish": 20000}`. */
    pointTimeLimitsMs: z.partialRecord(pointName, limitMs).default({}),
    /** The shipped customizations to use, by name, with their options. */
    shipped: z.record(z.string(), shippedEntry).default({}),
    /** Options of the folder's modules, by module name (the file name without extension). */
    options: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /** Composition order, outermost first; unnamed customizations follow (shipped, then the folder's by name). */
    order: z.array(z.string().min(1)).default([]),
  })
  .superRefine((hooks, ctx) => {
    for (const [name, entry] of Object.entries(hooks.shipped)) {
      const shipped = SHIPPED[name];
      if (!shipped) {
        const known = Object.keys(SHIPPED).join(", ");
        ctx.addIssue({
          code: "custom",
          path: ["shipped", name],
          message: `unknown shipped customization (known: ${known})`,
        });
        continue;
      }
      const parsed = shipped.optionsSchema.safeParse(entry.options);
      for (const issue of parsed.error?.issues ?? []) {
        ctx.addIssue({
          code: "custom",
          path: ["shipped", name, "options", ...issue.path],
          message: issue.message,
        });
      }
    }
  })
  .prefault({});

export type HooksConfig = z.infer<typeof hooksConfigSchema>;
