import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HeldEvents, heldEventsFile, parseHeld } from "../../../app/crmEvents/heldEvents.ts";
import type { IntakeOutcome } from "../../../app/crmEvents/intake.ts";
import type { CrmEventTake } from "../../../app/crmEvents/registry.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import type { BitrixEvent } from "../../../app/http/types.ts";

const dir = mkdtempSync(join(tmpdir(), "itgrix-held-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const click = (id: string): BitrixEvent => ({ name: "ONEXTERNALCALLSTART", data: { CALL_ID: id } });

/** An intake that answers `unavailable` while `down`, and records every offer. */
function intake() {
  const offers: { id: string; take: CrmEventTake }[] = [];
  const state = { down: true };
  const accept = async (event: BitrixEvent, take: CrmEventTake): Promise<IntakeOutcome> => {
    offers.push({ id: String(event.data.CALL_ID), take });
    return state.down ? "unavailable" : "handled";
  };
  return { offers, state, accept };
}

const until = async (probe: () => boolean) => {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(probe());
};

describe("HeldEvents", () => {
  it("names its file after the outbox", () => {
    assert.equal(heldEventsFile("var/itgrix-app-outbox.jsonl"), "var/itgrix-app-outbox.events.jsonl");
    assert.equal(heldEventsFile("/data/outbox"), "/data/outbox.events.jsonl");
  });

  it("given the intake cannot take events, then they are kept on disk and offered again in order with their first take; the file is emptied once all are taken", async () => {
    const path = join(dir, "a.events.jsonl");
    const i = intake();
    const held = new HeldEvents({ path, accept: i.accept, logger: createLogger("t", "silent"), retryMs: 20 });
    held.open();
    assert.equal(await held.offer(click("c1")), "unavailable");
    assert.equal(await held.offer(click("c2")), "unavailable");
    assert.equal(held.size(), 2);
    assert.deepEqual(
      parseHeld(readFileSync(path, "utf8")).map((e) => e.event.data.CALL_ID),
      ["c1", "c2"],
    );
    i.state.down = false;
    await until(() => held.size() === 0);
    const again = i.offers.slice(2);
    assert.deepEqual(
      again.map((o) => o.id),
      ["c1", "c2"],
      "in arrival order",
    );
    assert.deepEqual(again[0]!.take, i.offers[0]!.take, "the same take: its dedupe mark is its own");
    assert.equal(readFileSync(path, "utf8"), "");
    held.close();
  });

  it("given a file left by a killed process (a torn last line), then its events are offered at open", async () => {
    const path = join(dir, "b.events.jsonl");
    const take = { id: "t-1", receivedAt: 1000 };
    writeFileSync(path, JSON.stringify({ event: click("k1"), take }) + "\n" + '{"event":{"na');
    const i = intake();
    i.state.down = false;
    const held = new HeldEvents({ path, accept: i.accept, logger: createLogger("t", "silent"), retryMs: 10 });
    assert.equal(held.open(), 1);
    await until(() => held.size() === 0);
    assert.deepEqual(i.offers, [{ id: "k1", take }]);
    held.close();
  });
});
