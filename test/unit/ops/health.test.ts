import assert from "node:assert/strict";
import { test } from "node:test";
import { appHealth, ownStatusUrl, workerHealth } from "../../../core/status/health.ts";

test("the app's own /status URL: a wildcard bind is reached through the loopback, an IPv6 host in brackets", () => {
  assert.equal(ownStatusUrl({ host: "0.0.0.0", port: 8077 }), "http://127.0.0.1:8077/status");
  assert.equal(ownStatusUrl({ host: "::", port: 9000 }), "http://127.0.0.1:9000/status");
  assert.equal(ownStatusUrl({ host: "10.0.0.5", port: 8077 }), "http://10.0.0.5:8077/status");
  assert.equal(ownStatusUrl({ host: "::1", port: 8077 }), "http://[::1]:8077/status");
});

test("given /status ok or warning, the app is healthy; given error, unhealthy with the problems named", () => {
  assert.equal(appHealth(200, { status: "ok", problems: [] }).healthy, true);
  const warning = appHealth(200, { status: "warning", problems: ["1 call(s) failed in the last hour"] });
  assert.equal(warning.healthy, true);
  assert.match(warning.reason, /1 call\(s\) failed/);
  const error = appHealth(200, {
    status: "error",
    problems: ["ARI disconnected", "no worker seen in the last 30 s"],
  });
  assert.equal(error.healthy, false);
  assert.match(error.reason, /ARI disconnected; no worker seen/);
});

test("given a non-200 answer or something that is not a status document, the app is unhealthy", () => {
  assert.deepEqual(appHealth(401, { status: "ok" }), { healthy: false, reason: "/status answered HTTP 401" });
  assert.equal(appHealth(200, undefined).healthy, false);
  assert.equal(appHealth(200, { status: "fine" }).healthy, false);
  assert.equal(appHealth(200, null).healthy, false);
});

test("an app whose ARI application another instance took over is healthy (passive): a restart would fight for the name", () => {
  const replaced = appHealth(200, {
    status: "error",
    app: { state: "replaced" },
    problems: ["ARI application taken over by another connection"],
  });
  assert.equal(replaced.healthy, true);
  assert.match(replaced.reason, /passive: ARI application taken over/);
});

test("a worker container is healthy only with a fresh heartbeat of a worker on its own host", () => {
  const now = 1_000_000;
  const beats = {
    "worker:abc123:7": { at: now - 4_000, inFlight: 0 },
    "worker:other:9": { at: now, inFlight: 2 },
    "app:abc123:1": { at: now },
  };
  assert.equal(workerHealth(beats, "abc123", now).healthy, true);
  const stale = workerHealth({ "worker:abc123:7": { at: now - 45_000 } }, "abc123", now);
  assert.deepEqual(stale, { healthy: false, reason: "last heartbeat of worker:abc123:* is 45 s old" });
  const none = workerHealth(beats, "nohost", now);
  assert.equal(none.healthy, false, "another host's worker or an app heartbeat does not count");
  assert.equal(
    workerHealth({ "worker:abc1234:7": { at: now } }, "abc123", now).healthy,
    false,
    "host prefix is exact",
  );
  assert.equal(
    workerHealth({ "worker:abc123:7": { inFlight: 0 } }, "abc123", now).healthy,
    false,
    "no time, no proof",
  );
});
