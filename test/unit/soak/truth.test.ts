import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
  it("given a ring-all answered by 123, then 200, user 23 and the talk time", () => {
    const legs = [
      leg("121", 1000, { endedAt: 3000 }),
      leg("123", 1000, { answeredAt: 3000, endedAt: 11_000 }),
    ];
    assert.deepEqual(expectedOutcome(legs, caller(11_000), options), {
      answered: true,
      statusCode: "200",
      userIds: [23],
      durationSec: { min: 6, max: 10 },
    });
  });

  it("given a transfer to Support (not CRM users), then the last CRM user who talked", () => {
    const legs = [
      leg("151", 1000, { answeredAt: 2000, transferredAt: 5000, endedAt: 5200 }),
      leg("301", 5100, { answeredAt: 6000, endedAt: 12_000 }),
    ];
    const e = expectedOutcome(legs, caller(12_000), options);
    assert.deepEqual(e.userIds, [51]);
    // 3 s with 151 until the REFER (not until its BYE) + 6 s with 301.
    assert.deepEqual(e.durationSec, { min: 7, max: 11 });
  });

  it("given a blind transfer between CRM users, then the target", () => {
    const legs = [
      leg("147", 1000, { answeredAt: 2000, transferredAt: 5000 }),
      leg("149", 5100, { answeredAt: 6000, endedAt: 9000 }),
    ];
    assert.deepEqual(expectedOutcome(legs, caller(9000), options).userIds, [49]);
  });

  it("given nobody answered, then 304 and any CRM user of the last ring (a ring-all rings at once)", () => {
    const legs = [
      leg("157", 1000),
      leg("138", 6000, { result: "cancelled" }),
      leg("139", 6400, { result: "cancelled" }),
      leg("301", 6500),
    ];
    const e = expectedOutcome(legs, caller(20_000), options);
    assert.equal(e.statusCode, "304");
    assert.equal(e.answered, false);
    assert.deepEqual(e.userIds.sort(), [38, 39]);
    assert.deepEqual(e.durationSec, { min: 0, max: 2 });
  });

  it("given only Support rang, then the default user", () => {
    assert.deepEqual(expectedOutcome([leg("302", 1000)], caller(5000), options).userIds, [1]);
  });

  it("given two phones answered at once and one was hung up at once, then that one did not talk", () => {
    const legs = [
      leg("121", 1000, { answeredAt: 2000, endedAt: 2100 }),
      leg("122", 1000, { answeredAt: 2010, endedAt: 9000 }),
    ];
    const e = expectedOutcome(legs, caller(9000), options);
    assert.deepEqual(e.userIds, [22]);
    assert.deepEqual(e.durationSec, { min: 4, max: 9 });
  });

  it("adds the consultation of an attended transfer to the duration's upper bound only", () => {
    const legs = [leg("160", 0, { answeredAt: 1000, transferredAt: 6000 })];
    const e = expectedOutcome(legs, caller(6000), { ...options, extraDurationSec: 2 });
    assert.deepEqual(e.durationSec, { min: 3, max: 9 });
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
