/**
 * Deep freezing for what hooks see. Hooks get frozen copies, so a customization that mutates the call
 * or a value in place fails loudly (TypeError in strict mode) instead of changing the connector's own
 * data behind its back.
 */

export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

/** A deep-frozen copy (primitives are returned as they are). */
export function frozenCopy<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  return deepFreeze(structuredClone(value));
}

/**
 * Frozen copies of call states, one per state object: the points of one reconcile round share the
 * same state object, so it is copied once per round, not once per point.
 */
export class FrozenViews<T extends object> {
  private readonly views = new WeakMap<T, T>();

  of(value: T): T {
    let view = this.views.get(value);
    if (!view) {
      view = frozenCopy(value);
      this.views.set(value, view);
    }
    return view;
  }
}
