import type { Logger } from "../logging/logger.ts";
import type { HookConfigView, HookMap } from "./api.ts";
import type { HooksConfig } from "./config.ts";
import { hookConfigView } from "./configView.ts";
import { CustomizationLoadError } from "./errors.ts";
import type { LoadedCustomization } from "./ports.ts";
import { SHIPPED } from "./shipped/index.ts";

/**
 * Turns configuration into the runner's list: the enabled shipped customizations (their options were
 * validated with the configuration; setup runs here), and the composition order.
 */

export async function shippedCustomizations(
  hooks: Pick<HooksConfig, "shipped">,
  config: HookConfigView,
  logger: Logger,
): Promise<LoadedCustomization[]> {
  const view = hookConfigView(config);
  const loaded: LoadedCustomization[] = [];
  for (const [name, entry] of Object.entries(hooks.shipped)) {
    if (!entry.enabled) continue;
    const shipped = SHIPPED[name];
    if (!shipped)
      throw new CustomizationLoadError(name, "unknown shipped customization", `hooks.shipped.${name}`);
    const options = shipped.parseOptions!(entry.options) as unknown;
    try {
      await shipped.setup?.({
        options: options as never,
        config: view,
        log: logger.child({ customization: name }),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new CustomizationLoadError(name, `setup failed: ${message}`, `hooks.shipped.${name}.options`);
    }
    const hooks = shipped.hooks as HookMap<unknown>;
    loaded.push({ name, origin: "shipped", description: shipped.description, options, hooks });
  }
  return loaded;
}

/**
 * Outermost first: the names in `order`, then the others as they come (shipped in configuration
 * order, then the folder's modules by name). A name in `order` that is not loaded is ignored.
 */
export function composeOrder(
  customizations: readonly LoadedCustomization[],
  order: readonly string[],
): LoadedCustomization[] {
  const byName = new Map(customizations.map((c) => [c.name, c]));
  const first = order
    .map((name) => byName.get(name))
    .filter((c): c is LoadedCustomization => c !== undefined);
  const rest = customizations.filter((c) => !order.includes(c.name));
  return [...first, ...rest];
}
