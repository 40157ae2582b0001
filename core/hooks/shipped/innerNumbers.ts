import { z } from "zod";
import { RewriteChain } from "../../numbers/index.ts";
import { defineShipped, rewriteRule } from "./define.ts";

/**
 * Client customization 4: inner-number rewrite rules wherever a number crosses the boundary.
 * Bitrix24 inner numbers are 1..9999; the client's extensions are longer (a prefix + 4 digits).
 *
 * - toCrm (extension → CRM inner number, every directory lookup): `toCrm` rules, or the connector's own
 *   `numbers.userRewrite` when none are given;
 * - fromCrm (CRM inner number → extension to ring, click-to-call): `fromCrm` rules;
 * - a client number being dialled (outbound, click-to-call): `clientDial` rules after the connector's
 *   own normalisation (e.g. E.164 `+7495…` → the trunk's `8495…`).
 *
 * Warnings: at load, every operator extension of the configuration whose toCrm number falls outside
 * 1..9999 (such a user can never be matched); at run time, once per extension not seen at load.
 */

const rules = z.array(rewriteRule).default([]);

const options = z.strictObject({
  toCrm: z.array(rewriteRule).optional(),
  fromCrm: rules,
  clientDial: rules,
});

/** Extensions already warned about (per load: a reload starts over, as the rules may have changed). */
const warned = new Set<string>();

export const innerNumbers = defineShipped("innerNumbers", options, {
  description: "inner-number rewrite rules everywhere (incl. click-to-call); warns outside 1..9999",
  setup({ options, config, log }) {
    warned.clear();
    const toCrm = new RewriteChain(options.toCrm ?? config.numbers.userRewrite);
    const extensions = new Set(config.routing.operators);
    for (const group of Object.values(config.routing.groups))
      for (const m of group.members) extensions.add(m);
    const outside = [...extensions].filter((ext) => !isInnerNumber(toCrm.apply(ext)));
    for (const ext of outside) warned.add(ext);
    if (outside.length > 0) {
      log.warn(
        { extensions: outside.map((ext) => `${ext} → ${toCrm.apply(ext)}`) },
        "operator extensions whose CRM inner number is outside 1..9999: these users can never be matched",
      );
    }
  },
  hooks: {
    normalizeUserNumber(ctx) {
      const { number, direction } = ctx.input;
      if (direction === "fromCrm") return new RewriteChain(ctx.options.fromCrm).apply(number.trim());
      const inner = ctx.options.toCrm ? new RewriteChain(ctx.options.toCrm).apply(number.trim()) : ctx.value;
      if (!isInnerNumber(inner) && !warned.has(number)) {
        warned.add(number);
        ctx.log.warn({ extension: number, inner }, "CRM inner number outside 1..9999");
      }
      return inner;
    },
    async normalizeClientNumber(ctx, next) {
      if (ctx.input.purpose !== "dial" || ctx.options.clientDial.length === 0) return undefined;
      return new RewriteChain(ctx.options.clientDial).apply(await next());
    },
  },
});

/** Bitrix24's inner numbers: 1..9999, digits only. */
export function isInnerNumber(value: string): boolean {
  return /^\d{1,4}$/.test(value) && Number(value) >= 1;
}
