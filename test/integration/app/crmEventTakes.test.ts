/**
 * The event intake's dedupe against a real Redis when an event is offered more than once: an offer
 * that could not be taken (Redis away) is taken when offered again with its own take; an app killed
 * before what the event started was durable takes the same offer again after its restart; once the
 * handler committed (the call is in Redis) the same offer is a duplicate, so nothing rings twice.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CrmEventIntake } from "../../../app/crmEvents/intake.ts";
import { CrmEventRegistry, EventNotTaken, type HandledTake } from "../../../app/crmEvents/registry.ts";
import type { BitrixEvent } from "../../../app/http/types.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { useRedis } from "../../support/redisServer.ts";

const r = useRedis();
const click = (id: string): BitrixEvent => ({ name: "ONEXTERNALCALLSTART", data: { CALL_ID: id } });

/** An app process: its intake with one handler whose behaviour the test sets per offer. */
function app(prefix: string, handle: (take: HandledTake) => Promise<void>) {
  const keys = redisKeys(prefix);
  const registry = new CrmEventRegistry();
  registry.register("ONEXTERNALCALLSTART", { handle: (_e, _s, take) => handle(take) });
  const logger = createLogger("t", "silent");
  return new CrmEventIntake({ redis: r.redis, keys, registry, metrics: new Metrics(r.redis, keys), logger });
}

describe("event intake: offers of the same take", () => {
  it("given the handler could not take it, then the same take is taken later and another take is a duplicate", async () => {
    let down = true;
    const intake = app("t1", async () => {
      if (down) throw new EventNotTaken("Redis away");
    });
    const take = { id: "take-1", receivedAt: Date.now() };
    assert.equal(await intake.accept(click("c1"), "online", take), "unavailable");
    down = false;
    assert.equal(await intake.accept(click("c1"), "online", take), "handled");
    assert.equal(await intake.accept(click("c1"), "online", take), "duplicate", "done: not again");
    assert.equal(await intake.accept(click("c1"), "offline"), "duplicate");
  });

  it("given an app killed before the handler committed, then its restart takes the same offer; killed after the commit, it does not", async () => {
    const before = { id: "stream:1-0", receivedAt: Date.now() };
    const after = { id: "stream:2-0", receivedAt: Date.now() };
    const dead = app("t2", async (take) => {
      if (take.id === after.id) await take.commit();
      await new Promise(() => undefined); // killed here: never returns
    });
    void dead.accept(click("c2"), "offline", before);
    void dead.accept(click("c3"), "offline", after);
    await new Promise((res) => setTimeout(res, 100));
    const rang: string[] = [];
    const restarted = app("t2", async (take) => void rang.push(take.id));
    assert.equal(await restarted.accept(click("c2"), "offline", before), "handled");
    assert.equal(await restarted.accept(click("c3"), "offline", after), "duplicate");
    assert.deepEqual(rang, [before.id], "only the click that was not durable rings again");
  });
});
