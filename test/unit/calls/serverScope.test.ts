import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  callIdOfLinkedId,
  isCallOfServer,
  linkedIdsOfCallId,
  serverIdFromAsteriskInfo,
} from "../../../core/calls/serverScope.ts";
import { redisKeys, serverScopedKeys } from "../../../core/redis/keys.ts";

describe("server scope of call ids and keys (several Asterisk servers, one cluster)", () => {
  test("given a bare linkedid, then the call id is <serverId>-<linkedid>; given one Asterisk prefixed with its systemname, then the linkedid itself", () => {
    assert.equal(callIdOfLinkedId("pbx1", "1796134167.0"), "pbx1-1796134167.0");
    assert.equal(callIdOfLinkedId("pbx1", "pbx1-1796134167.0"), "pbx1-1796134167.0");
    assert.equal(callIdOfLinkedId("pbx2", "pbx1-1796134167.0"), "pbx2-pbx1-1796134167.0");
  });

  test("two servers' equal linkedids give different call ids, each owned by its server only", () => {
    const a = callIdOfLinkedId("a", "1796134167.0");
    const b = callIdOfLinkedId("b", "1796134167.0");
    assert.notEqual(a, b);
    assert.deepEqual(
      [isCallOfServer("a", a), isCallOfServer("a", b), isCallOfServer("b", b)],
      [true, false, true],
    );
    assert.equal(isCallOfServer("a", "ab-1.0"), false, "a prefix of another server's id is not enough");
  });

  test("re-processing looks the call up by the bare linkedid first, then by the call id (systemname prefixed)", () => {
    assert.deepEqual(linkedIdsOfCallId("pbx1", "pbx1-1796134167.0"), ["1796134167.0", "pbx1-1796134167.0"]);
    assert.deepEqual(linkedIdsOfCallId("pbx1", "1796134167.0"), ["1796134167.0"]);
  });

  test("the default server id is Asterisk's systemname, else its entity id without separators; nothing usable → undefined", () => {
    const info = (name: string | undefined, eid: string | undefined) => ({
      config: { name, default_language: "en" },
      system: { version: "22.10.1", entity_id: eid },
    });
    assert.equal(serverIdFromAsteriskInfo(info("tb1", "52:54:00:12:34:56")), "tb1");
    assert.equal(serverIdFromAsteriskInfo(info("", "52:54:00:12:34:56")), "525400123456");
    assert.equal(serverIdFromAsteriskInfo(info(undefined, undefined)), undefined);
    assert.equal(serverIdFromAsteriskInfo(null), undefined);
  });

  test("the app's live-state keys are per server, read at each use; call and journal keys stay shared", () => {
    let id = "a";
    const base = redisKeys("p");
    const keys = serverScopedKeys(base, "p", () => id);
    assert.equal(keys.appChannels, "p:srv:a:app:channels");
    assert.equal(keys.busyOperators, "p:srv:a:operators:busy");
    assert.equal(keys.roundRobin("sales"), "p:srv:a:rr:sales");
    assert.equal(keys.appObserved, "p:srv:a:app:observed");
    assert.equal(keys.appAlive("itgrix"), "p:srv:a:app:alive:itgrix");
    id = "b";
    assert.equal(keys.appChannels, "p:srv:b:app:channels");
    assert.equal(keys.call("x"), base.call("x"));
    assert.equal(keys.activeCalls, base.activeCalls);
    assert.equal(keys.journal("x"), base.journal("x"));
  });
});
