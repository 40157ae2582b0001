import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { talkWindow } from "../../../soak/observe.ts";
import { parseSippLog } from "../../../soak/sippLog.ts";
import { callerSide, expectedOutcome, firstRings, phoneLegs, type PhoneLeg } from "../../../soak/truth.ts";

const ts = (ms: number) => `2026-12-01\t10:00:00.000000\t${(ms / 1000).toFixed(6)}`;
const userIdOf = (ext: string) => (Number(ext) >= 121 && Number(ext) <= 160 ? Number(ext) - 100 : undefined);
const options = { userIdOf, defaultUserId: 1 };
const caller = (endedAt: number) =>
  callerSide(parseSippLog([`INVITE 7926 ${ts(0)}`, `BYE_OUT 7926 ${ts(endedAt)}`]));

function leg(extension: string, rangAt: number, more: Partial<PhoneLeg> = {}): PhoneLeg {
  return { extension, rangAt, result: more.answeredAt === undefined ? "cancelled" : "answered", ...more };
}

describe("parseSippLog", () => {
  it("reads event, number, arguments and the epoch of sipp's [timestamp]; skips lines without one", () => {
    const events = parseSippLog([
      `RING 79260000001 121 ${ts(1_796_121_679_583)}`,
      "DTMF 1 1-27263@127.0.0.1",
      `REFUSED 79260000001 141 486 ${ts(1_796_121_679_887)}`,
    ]);
    assert.deepEqual(events, [
      { event: "RING", number: "79260000001", args: ["121"], at: 1_796_121_679_583 },
      { event: "REFUSED", number: "79260000001", args: ["141", "486"], at: 1_796_121_679_887 },
    ]);
  });
});

describe("phoneLegs and callerSide", () => {
  it("given a phone rung twice by one caller, then it has two legs, each with its own outcome", () => {
    const events = parseSippLog([
      `RING 7926 ${ts(1000)}`,
      `CANCELLED 7926 ${ts(3000)}`,
      `RING 7926 ${ts(5000)}`,
      `ANSWER 7926 ${ts(6000)}`,
      `REFER 7926 149 ${ts(9000)}`,
      `BYE_OUT 7926 ${ts(9500)}`,
      `RING 7927 ${ts(5500)}`,
    ]);
    const legs = phoneLegs("147", events);
    assert.deepEqual(legs.get("7926"), [
      { extension: "147", rangAt: 1000, result: "cancelled", endedAt: 3000 },
      {
        extension: "147",
        rangAt: 5000,
        answeredAt: 6000,
        result: "answered",
        transferredAt: 9000,
        endedAt: 9500,
      },
    ]);
    assert.equal(legs.get("7927")!.length, 1);
  });

  it("reads how the caller's call ended", () => {
    const side = (line: string) =>
      callerSide(parseSippLog([`INVITE 7926 ${ts(0)}`, `RINGING 7926 ${ts(10)}`, line]));
    assert.equal(side(`BYE_OUT 7926 ${ts(900)}`).end, "callerBye");
    assert.equal(side(`BYE_IN 7926 ${ts(900)}`).end, "pbxBye");
    assert.equal(side(`CANCEL 7926 ${ts(900)}`).end, "cancelled");
    assert.deepEqual(side(`STATUS 7926 486 ${ts(900)}`), {
      end: "refused",
      invitedAt: 0,
      ringingAt: 10,
      endedAt: 900,
      statusCode: 486,
    });
  });
});

describe("expectedOutcome", () => {
  it("given a ring-all answered by 123, then 200, user 23 and the time the client talked", () => {
    const legs = [
      leg("121", 1000, { endedAt: 3000 }),
      leg("123", 1000, { answeredAt: 3000, endedAt: 11_000 }),
    ];
    assert.deepEqual(expectedOutcome(legs, { from: 3000, to: 11_000 }, options), {
      answered: true,
      statusCode: "200",
      userIds: [23],
      durationSec: { min: 6, max: 10 },
    });
  });

  it("given the app bridged the client late and hung up the operator late, then only the bridged time counts", () => {
    const legs = [leg("121", 1000, { answeredAt: 2000, endedAt: 30_000 })];
    assert.deepEqual(expectedOutcome(legs, { from: 8000, to: 12_500 }, options).durationSec, {
      min: 2,
      max: 7,
    });
  });

  it("given an operator answered but the client was never bridged, then missed (304) for the last rung", () => {
    const legs = [leg("138", 1000, { answeredAt: 5000, endedAt: 9000 }), leg("139", 1200)];
    const e = expectedOutcome(legs, undefined, options);
    assert.equal(e.statusCode, "304");
    assert.deepEqual(e.userIds.sort(), [38, 39]);
  });

  it("given a transfer to Support (not CRM users), then the last CRM user who talked", () => {
    const legs = [
      leg("151", 1000, { answeredAt: 2000, transferredAt: 5000, endedAt: 5200 }),
      leg("301", 5100, { answeredAt: 6000, endedAt: 12_000 }),
    ];
    const e = expectedOutcome(legs, { from: 2000, to: 12_000 }, options);
    assert.deepEqual(e.userIds, [51]);
    // 3 s with 151 until the REFER (not until its BYE) + 6 s with 301.
    assert.deepEqual(e.durationSec, { min: 7, max: 11 });
  });

  it("given a blind transfer between CRM users, then the target", () => {
    const legs = [
      leg("147", 1000, { answeredAt: 2000, transferredAt: 5000 }),
      leg("149", 5100, { answeredAt: 6000, endedAt: 9000 }),
    ];
    assert.deepEqual(expectedOutcome(legs, { from: 2000, to: 9000 }, options).userIds, [49]);
  });

  it("given nobody answered, then 304 and any CRM user of the last ring (a ring-all rings at once)", () => {
    const legs = [leg("157", 1000), leg("138", 6000), leg("139", 6400), leg("301", 6500)];
    const e = expectedOutcome(legs, undefined, options);
    assert.equal(e.statusCode, "304");
    assert.equal(e.answered, false);
    assert.deepEqual(e.userIds.sort(), [38, 39]);
    assert.deepEqual(e.durationSec, { min: 0, max: 2 });
  });

  it("given only Support rang, then the default user", () => {
    assert.deepEqual(expectedOutcome([leg("302", 1000)], undefined, options).userIds, [1]);
  });

  it("given a second phone answered while the first was on the call, then it lost the race and did not talk", () => {
    const legs = [
      leg("121", 1000, { answeredAt: 2000, endedAt: 9000 }),
      leg("122", 1000, { answeredAt: 2500, endedAt: 4000 }),
    ];
    const e = expectedOutcome(legs, { from: 2100, to: 9000 }, options);
    assert.deepEqual(e.userIds, [21]);
    assert.deepEqual(e.durationSec, { min: 4, max: 9 });
  });

  it("given two answers too close to call, then either phone may have won", () => {
    const legs = [
      leg("121", 1000, { answeredAt: 2000, endedAt: 9000 }),
      leg("122", 1000, { answeredAt: 2050, endedAt: 6000 }),
    ];
    const e = expectedOutcome(legs, { from: 2100, to: 9000 }, options);
    assert.deepEqual(e.userIds.sort(), [21, 22]);
    assert.deepEqual(e.durationSec, { min: 1, max: 9 });
  });

  it("given the winner's race partner was hung up before the bridge, then it is no candidate", () => {
    const legs = [
      leg("121", 1000, { answeredAt: 2000, endedAt: 2080 }),
      leg("122", 1000, { answeredAt: 2050, endedAt: 9000 }),
    ];
    assert.deepEqual(expectedOutcome(legs, { from: 2100, to: 9000 }, options).userIds, [22]);
  });

  it("adds the consultation of an attended transfer to the duration's upper bound only", () => {
    const legs = [leg("160", 0, { answeredAt: 1000, transferredAt: 6000 })];
    const e = expectedOutcome(legs, { from: 1000, to: 6000 }, { ...options, extraDurationSec: 2 });
    assert.deepEqual(e.durationSec, { min: 3, max: 9 });
  });
});

describe("talkWindow", () => {
  it("runs from the client's first bridge to its hang-up (or leaving the bridge, if earlier)", () => {
    assert.deepEqual(talkWindow({ from: 3000, to: 12_000 }, caller(10_000)), { from: 3000, to: 10_000 });
    assert.deepEqual(talkWindow({ from: 3000, to: 9000 }, caller(10_000)), { from: 3000, to: 9000 });
    assert.deepEqual(talkWindow({ from: 3000 }, caller(10_000)), { from: 3000, to: 10_000 });
    assert.equal(talkWindow(undefined, caller(10_000)), undefined);
  });
});

describe("firstRings", () => {
  it("takes each CRM user's first ring, and none of a target that joined without ringing", () => {
    const legs = [
      leg("121", 3000),
      leg("121", 1000),
      leg("301", 500),
      leg("159", 4000, { answeredAt: 4000, joinedWithoutRing: true }),
    ];
    assert.deepEqual([...firstRings(legs, userIdOf)], [[21, 1000]]);
  });
});
