import type { PlacedCall } from "./observe.ts";
import { PortalWatch, queueIdle } from "./portal.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every placed call is finished in the CRM, then until the queue is idle (a job still
 * queued could register a second CRM call) and a little longer, or until the timeout.
 */
export async function waitForCrm(
  o: { portalUrl: string; statusUrl: string; timeoutSec: number; log: (line: string) => void },
  placed: PlacedCall[],
): Promise<boolean> {
  const watch = new PortalWatch(o.portalUrl);
  const deadline = Date.now() + o.timeoutSec * 1000;
  const wanted = placed.filter((p) => p.error === undefined).map((p) => p.call.clientNumber.slice(-10));
  for (;;) {
    const calls = await watch.poll().catch(() => []);
    const finished = new Set(
      calls.filter((c) => c.finish).map((c) => String(c.PHONE_NUMBER).replace(/\D/g, "").slice(-10)),
    );
    const pending = wanted.filter((n) => !finished.has(n)).length;
    if (pending === 0 && (await queueIdle(o.statusUrl))) break;
    if (Date.now() > deadline) {
      o.log(`gave up waiting for the CRM: ${pending} calls not finished there`);
      return false;
    }
    await sleep(1000);
  }
  await sleep(3000);
  return true;
}
