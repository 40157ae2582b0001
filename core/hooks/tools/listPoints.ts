import type { HookPointName } from "../api.ts";
import { HOOK_POINT_NAMES, HOOK_POINTS } from "../points.ts";

/** `npm run hooks -- list`: every point, when it runs, what goes in and what may come out. */

export interface PointListing {
  name: HookPointName;
  side: string;
  kind: string;
  when: string;
  wraps: string;
  input: string;
  value: string;
  description: string;
  defaultTimeLimitMs: number;
  /** Customizations configured on the point, outermost first (when a configuration was given). */
  customizations?: string[];
}

export function listPoints(layersOf?: (point: HookPointName) => string[]): PointListing[] {
  return HOOK_POINT_NAMES.map((name) => {
    const { side, kind, when, wraps, input, value, description, defaultTimeLimitMs } = HOOK_POINTS[name];
    const listing: PointListing = {
      name,
      side,
      kind,
      when,
      wraps,
      input,
      value,
      description,
      defaultTimeLimitMs,
    };
    if (layersOf) listing.customizations = layersOf(name);
    return listing;
  });
}

export function formatListing(points: PointListing[]): string {
  const blocks = points.map((p) => {
    const lines = [
      `${p.name}  [${p.side} · ${p.kind} · ${p.defaultTimeLimitMs} ms]`,
      `  ${p.description}`,
      `  when:   ${p.when}`,
      `  wraps:  ${p.wraps}`,
      `  input:  ${p.input}`,
      `  value:  ${p.value}`,
    ];
    if (p.customizations)
      lines.push(`  used by: ${p.customizations.length > 0 ? p.customizations.join(" → ") : "-"}`);
    return lines.join("\n");
  });
  return `${blocks.join("\n\n")}\n\n${points.length} hook points. Values: return a replacement, or nothing to keep the default.\n`;
}
