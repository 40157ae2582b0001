import type { ParamObject } from "../http/brackets.ts";
import { listPage } from "./listing.ts";
import type { MethodContext, MethodOutput } from "./types.ts";

/** voximplant.statistic.get: the records finish created, FILTER on their fields, pages of 50. */
export function getStatistics(params: ParamObject, ctx: MethodContext): MethodOutput {
  return listPage(ctx.runtime.state.statistics.values(), params, (record) => ({ ...record }));
}
