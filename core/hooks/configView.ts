import type { DeepReadonly, HookConfigView } from "./api.ts";
import { deepFreeze } from "./freeze.ts";

/**
 * The configuration as customizations see it: only the documented, non-secret parts (a Config also
 * carries credentials, which no hook needs and no hook may log), deep-frozen.
 */
export function hookConfigView(config: HookConfigView): DeepReadonly<HookConfigView> {
  const { routing, numbers, crm } = config;
  return deepFreeze(
    structuredClone({
      routing: {
        operators: routing.operators,
        groups: Object.fromEntries(
          Object.entries(routing.groups).map(([k, g]) => [k, { members: g.members }]),
        ),
        dids: Object.fromEntries(Object.entries(routing.dids).map(([k, d]) => [k, { group: d.group }])),
      },
      numbers: {
        defaultRegion: numbers.defaultRegion,
        clientRewrite: numbers.clientRewrite,
        userRewrite: numbers.userRewrite,
      },
      crm: { defaultUserId: crm.defaultUserId, addToChat: crm.addToChat },
    }),
  );
}
