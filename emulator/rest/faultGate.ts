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
    if (faults.outageMode !== "503") {
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

/**
 * Refusals of the whole request that come before the method runs and before the rate limit counts
 * it: nginx's 408 and a firewall rule's 400 (HTML pages), the portal's OVERLOAD_LIMIT and
 * ACCESS_DENIED (JSON). Returns true when the request was refused.
 */
export function refusedUpFront(runtime: Runtime, exchange: Exchange, body: Buffer): boolean {
  const { faults } = runtime;
  if (faults.requestTimeout408) {
    exchange.refusedPage(408, "408 Request Time-out", "HTTP_408", true);
    return true;
  }
  if (faults.rejectBodyMatching !== null && body.includes(faults.rejectBodyMatching)) {
    exchange.refusedPage(400, "400 Bad Request", "HTTP_400");
    return true;
  }
  if (faults.overload) {
    exchange.failure(new RestError(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload."));
    return true;
  }
  if (faults.accessDenied) {
    exchange.failure(new RestError(403, "ACCESS_DENIED", "REST is available only on commercial plans."));
    return true;
  }
  return false;
}
