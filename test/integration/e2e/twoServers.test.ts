/**
 * Several Asterisk servers, one cluster: two app instances (two server ids) on one Redis prefix and one
 * worker, against the one testbed Asterisk (instance B under its own ARI application name, as a second
 * PBX's app would be). Instance A (the stack's app) takes its server id from Asterisk's `systemname`;
 * B is configured `asterisk.serverId: "B"`. B's start and resync must not touch A's live call, which
 * then reaches the CRM whole; each instance's live-state keys are its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startCallControl, type CallControlHandle } from "../../../app/callControl.ts";
import { resync } from "../../../app/flow/resync.ts";
import { createAppStatus } from "../../../app/status/appStatus.ts";
import { CallStore } from "../../../core/calls/callStore.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { TESTBED_SYSTEM_NAME } from "../../../testbed/asteriskConfig.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = "4951119101";

describe("e2e: two Asterisk servers' apps on one Redis and one worker cluster", () => {
  let stack: Stack;
  let b: CallControlHandle | undefined;
  before(async () => {
    stack = await startStack({
      groups: { solo: { strategy: "ringall", members: [109], groupTimeoutSec: 10 } },
      dids: { [DID]: { group: "solo" } },
      operators: { 109: { answerAfterMs: 500 } },
    });
  });
  after(async () => {
    await b?.stop();
    await stack?.stop();
  });

  function startInstanceB(): CallControlHandle {
    const config = parseConfig({
      ...stack.config,
      ari: { ...stack.config.ari, app: "itgrix-b" },
      asterisk: { serverId: "B" },
      redis: { ...stack.config.redis, outboxFile: `${stack.config.redis.outboxFile}.b` },
    });
    const logger = createLogger("server-b", config.log.level);
    return startCallControl({ config, redis: stack.redis, logger, status: createAppStatus() });
  }

  test("given A's call is talking, when B starts (and resyncs again), then A's call is untouched and reaches the CRM with its whole talk time; the ids and keys are per server", async () => {
    const call = clientCalls({ from: "74952000021", to: DID, talkMs: 5000, expectAnswer: true });
    await stack.phone(109).waitFor((s) => s.answered === 1, 10_000);
    await sleep(500);
    const store = new CallStore(stack.redis, stack.keys);
    const [callId] = await store.activeCallIds();
    assert.ok(callId, "A's call is active");
    assert.ok(
      callId.startsWith(`${TESTBED_SYSTEM_NAME}-`),
      `A's call id ${callId} is its linkedid (systemname)`,
    );
    const before = await store.get(callId);

    b = startInstanceB();
    await b.ready;
    assert.equal(b.ctx.server.id, "B");
    const again = await resync(b.ctx);
    assert.equal(again.checked, 0, "B's resync looks at none of A's calls");

    const during = await store.get(callId);
    assert.equal(during?.version, before?.version, "B wrote nothing to A's call");
    assert.equal(during?.phase, "talking");
    const a = stack.control.ctx;
    assert.equal(a.server.id, TESTBED_SYSTEM_NAME);
    assert.notEqual(a.keys.appChannels, b.ctx.keys.appChannels);
    assert.equal(await stack.redis.hget(a.keys.busyOperators, "109"), callId, "109 busy in A's call");
    assert.equal(await stack.redis.hget(b.ctx.keys.busyOperators, "109"), null, "not in B's books");
    assert.ok(await stack.redis.hget(a.keys.appChannels, during!.clientChannelId!), "A's channel index");

    await call;
    const crm = await waitForCrmCall(stack, { phone: "74952000021" });
    expectFinished(crm, { type: 2, userId: userOf(109), status: "200", durationSec: 5 });
    assert.equal(crm.EXTERNAL_CALL_ID, callId);
  });

  test("given B's server id, then a linkedid becomes B's call id, and B owns none of A's", () => {
    assert.ok(b, "B runs");
    assert.equal(b.ctx.server.callIdOf("tb1-1796134167.0"), "B-tb1-1796134167.0");
    assert.equal(b.ctx.server.owns(`${TESTBED_SYSTEM_NAME}-1796134167.0`), false);
    assert.equal(stack.control.ctx.server.callIdOf("1796134167.0"), `${TESTBED_SYSTEM_NAME}-1796134167.0`);
  });
});
