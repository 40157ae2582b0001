import { activityMethods } from "./crm/activities.ts";
import { findByComm } from "./crm/duplicates.ts";
import { crmEntityMethods } from "./crm/entities.ts";
import { eventMethods } from "./events.ts";
import { imMethods } from "./im.ts";
import { hideCard, showCard } from "./telephony/cards.ts";
import { finishCall } from "./telephony/finish.ts";
import { addLine, getLines } from "./telephony/lines.ts";
import { attachRecord } from "./telephony/record.ts";
import { registerCall } from "./telephony/register.ts";
import { searchCrmEntities } from "./telephony/search.ts";
import type { MethodSpec, MethodTable } from "./types.ts";
import { currentUser, getUsers } from "./users.ts";
import { getStatistics } from "./voximplant.ts";

const methods: MethodTable = {
  "telephony.externalcall.register": { handler: registerCall, authRule: "telephony" },
  "telephony.externalcall.finish": { handler: finishCall, authRule: "telephony" },
  "telephony.externalcall.show": { handler: showCard },
  "telephony.externalcall.hide": { handler: hideCard },
  "telephony.externalcall.attachrecord": { handler: attachRecord },
  "telephony.externalcall.searchcrmentities": { handler: searchCrmEntities },
  "telephony.externalline.add": { handler: addLine, authRule: "telephony" },
  "telephony.externalline.get": { handler: getLines, authRule: "telephony" },
  "user.get": { handler: getUsers },
  "user.current": { handler: currentUser },
  "crm.duplicate.findbycomm": { handler: findByComm },
  "voximplant.statistic.get": { handler: getStatistics },
  ...crmEntityMethods,
  ...activityMethods,
  ...imMethods,
  ...eventMethods,
};

const byLowerName = new Map(Object.entries(methods).map(([name, spec]) => [name.toLowerCase(), spec]));

/** Method names are case-insensitive, with an optional `.json` suffix. */
export function normaliseMethodName(name: string): string {
  return name.toLowerCase().replace(/\.json$/, "");
}

export function findMethod(name: string): MethodSpec | undefined {
  return byLowerName.get(normaliseMethodName(name));
}

/**
 * The REST scope a method needs (`telephony` also covers `voximplant.*`); null for methods that only
 * need an app (`event.*`).
 */
export function scopeOf(name: string): string | null {
  const method = normaliseMethodName(name);
  if (method.startsWith("telephony.") || method.startsWith("voximplant.")) return "telephony";
  const prefix = method.split(".")[0]!;
  return ["crm", "user", "im"].includes(prefix) ? prefix : null;
}
