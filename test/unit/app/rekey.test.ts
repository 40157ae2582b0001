import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CallControl } from "../../../app/calls/control.ts";
import { liveChannels } from "../../../app/calls/control.ts";
import { rekeyChannel } from "../../../app/transfers/rekey.ts";

const talking = (): CallControl => ({
  callId: "c1",
  direction: "inbound",
  clientChannelId: "client",
  clientAnswered: true,
  clientNumber: "74951234567",
  lineNumber: "4950000001",
  legs: { op101: { extension: "101", purpose: "group", state: "up" } },
  talkingLegId: "op101",
  bridgeId: "itgrix-c1",
  aux: [],
  legSeq: 1,
});

describe("transfer re-keying (StasisStart with replace_channel)", () => {
  test("given 101 talks, when Local;1 replaces 101, then 101 is transferred away and Local;1 is a helper", () => {
    const before = talking();
    const { ctl, role } = rekeyChannel(before, "op101", "local1");
    assert.equal(role, "leg");
    assert.equal(ctl.legs.op101!.transferredAway, true);
    assert.equal(ctl.talkingLegId, undefined);
    assert.deepEqual(ctl.aux, ["local1"]);
    assert.equal(before.talkingLegId, "op101", "input not mutated");
  });

  test("when the client's channel is replaced, the call follows the new channel", () => {
    const { ctl, role } = rekeyChannel(talking(), "client", "local-x");
    assert.equal(role, "client");
    assert.equal(ctl.clientChannelId, "local-x");
    assert.deepEqual(liveChannels(ctl).sort(), ["local-x", "op101"]);
  });

  test("an unknown replaced channel adds the newcomer as a helper", () => {
    const { ctl, role } = rekeyChannel(talking(), "nobody", "local-y");
    assert.equal(role, "unknown");
    assert.deepEqual(ctl.aux, ["local-y"]);
  });
});
