import type { ServerResponse } from "node:http";
import { RestError } from "../errors.ts";
import type { Runtime } from "../runtime.ts";
import type { Exchange } from "./reply.ts";

export const outageError = (): RestError =>
  new RestError(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable (emulated outage)");

function hold(runtime: Runtime, res: ServerResponse): void {
  runtime.hung.add(res);
  res.on("close", () => runtime.hung.delete(res));
}

/**
 * Outage and hang faults act before anything else: nothing runs, nothing is counted.
 * Returns true when the request was taken care of.
 */
export function stoppedByFaults(runtime: Runtime, exchange: Exchange): boolean {
  const { faults } = runtime;
  if (faults.inOutage()) {
    if (faults.outageMode === "drop") {
      exchange.unanswered("DROPPED");
      exchange.res.socket?.destroy();
    } else exchange.failure(outageError());
    return true;
  }
  if (faults.hang) {
    exchange.unanswered("HANG");
    hold(runtime, exchange.res);
    return true;
  }
  return false;
}
