import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Portal } from "./support.ts";

const portals: Portal[] = [];
async function start(opts: Parameters<typeof Portal.start>[0]): Promise<Portal> {
  const portal = await Portal.start(opts);
  portals.push(portal);
  return portal;
}
after(() => Promise.all(portals.map((p) => p.close())));

const statuses = async (portal: Portal, n: number, method = "user.current") => {
  const replies = [];
  for (let i = 0; i < n; i++) replies.push(await portal.app(method));
  return replies;
};

describe("leaky bucket", () => {
  it("rejects with 503 QUERY_LIMIT_EXCEEDED past the burst; rejected requests add nothing", async () => {
    const portal = await start({ rateLimit: { burst: 5, drainPerSec: 1 } });
    const first = await statuses(portal, 5);
    assert.deepEqual(
      first.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    const rejected = await statuses(portal, 10);
    assert.ok(rejected.every((r) => r.status === 503));
    assert.deepEqual(
      { error: rejected[0]?.body.error, error_description: rejected[0]?.body.error_description },
      { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" },
    );
    assert.ok(rejected[0]?.body.time, "errors carry the time block too");
    await portal.advanceClock(1000);
    const afterDrain = await statuses(portal, 2);
    assert.deepEqual(
      afterDrain.map((r) => r.status),
      [200, 503],
      "one drained slot, not eaten by the rejections",
    );
  });

  it("a batch of 10 commands counts as one request", async () => {
    const portal = await start({ rateLimit: { burst: 2, drainPerSec: 0.001 } });
    const cmd = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, "user.current"]));
    assert.equal((await portal.app("batch", { cmd })).status, 200);
    assert.equal((await portal.app("batch", { cmd })).status, 200);
    assert.equal((await portal.app("batch", { cmd })).status, 503);
  });

  it("plans: standard allows 50 at once, box has no bucket, enterprise is 250/5", async () => {
    const standard = await start({ rateLimit: undefined });
    const burst = await Promise.all(Array.from({ length: 51 }, () => standard.app("user.current")));
    assert.equal(burst.filter((r) => r.status === 503).length, 1);
    const box = await start({ plan: "box", rateLimit: undefined });
    const many = await Promise.all(Array.from({ length: 80 }, () => box.app("user.current")));
    assert.ok(many.every((r) => r.status === 200));
    await box.control("POST", "config", { plan: "enterprise" });
    const { config } = await box.state();
    assert.deepEqual(config.rateLimit, { burst: 250, drainPerSec: 5 });
    assert.equal(config.operatingLimitSec, 480);
  });
});

describe("operating-time limit", () => {
  it("429 OPERATION_TIME_LIMIT per method and app once the window's time is used up, until it slides", async () => {
    const portal = await start({ operatingLimitSec: 0.05, commandCostMs: 30 });
    const [a, b, c] = await statuses(portal, 3, "user.get");
    assert.deepEqual([a?.status, b?.status], [200, 200]);
    assert.equal(b?.body.time.operating, 0.06);
    assert.equal(c?.status, 429);
    assert.equal(c?.body.error, "OPERATION_TIME_LIMIT");
    const nowSec = Date.now() / 1000;
    assert.ok(c?.body.time.operating_reset_at > nowSec && c?.body.time.operating_reset_at <= nowSec + 600);
    assert.equal((await portal.app("crm.lead.list")).status, 200, "other methods are not blocked");
    assert.equal((await portal.hook("user.get")).status, 200, "the webhook has its own budget");
    await portal.advanceClock(10 * 60_000);
    assert.equal((await portal.app("user.get")).status, 200);
  });

  it("counts each batch command toward its own method; the batch itself answers 200", async () => {
    const portal = await start({ operatingLimitSec: 0.05, commandCostMs: 30 });
    const reply = await portal.app("batch", {
      cmd: { a: "user.get", b: "user.get", c: "user.get", d: "crm.lead.list" },
    });
    assert.equal(reply.status, 200);
    const { result, result_error, result_time } = reply.body.result;
    assert.equal(result_error.c.error, "OPERATION_TIME_LIMIT");
    assert.ok(result.d);
    assert.equal(result_time.b.operating, 0.06);
    assert.equal(reply.body.time.operating, 0.06, "outer time shows the busiest method");
  });

  it("is off by default on a box portal", async () => {
    const portal = await start({ plan: "box", commandCostMs: 1, operatingLimitSec: undefined });
    const { config } = await portal.state();
    assert.equal(config.operatingLimitSec, null);
  });
});

describe("server cost and concurrency", () => {
  it("commandCostMs makes a batch of 5 take 5× the cost", async () => {
    const portal = await start({ commandCostMs: 25 });
    const started = performance.now();
    const cmd = Array.from({ length: 5 }, () => "user.current");
    await portal.app("batch", { cmd });
    assert.ok(performance.now() - started >= 120);
  });

  it("maxConcurrent=1 queues requests one after another; config can lift it at runtime", async () => {
    const portal = await start({ commandCostMs: 60, maxConcurrent: 1 });
    let started = performance.now();
    await Promise.all([portal.app("user.current"), portal.app("user.current"), portal.app("user.current")]);
    assert.ok(performance.now() - started >= 170);
    await portal.control("POST", "config", { maxConcurrent: null });
    started = performance.now();
    await Promise.all([portal.app("user.current"), portal.app("user.current"), portal.app("user.current")]);
    assert.ok(performance.now() - started < 170);
  });
});
