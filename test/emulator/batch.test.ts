import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { HOOK, Portal } from "./support.ts";

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(() => portal.reset());

const batch = (cmd: unknown, halt = 0) => portal.app("batch", { halt, cmd });

describe("batch", () => {
  it("runs ≤50 commands; every command past 50 gets ERROR_BATCH_LENGTH_EXCEEDED", async () => {
    const cmd: Record<string, string> = {};
    for (let i = 0; i < 52; i++) cmd[`u${i}`] = "user.get?ID=2";
    const reply = await batch(cmd);
    assert.equal(reply.status, 200);
    const { result, result_error } = reply.body.result;
    assert.equal(Object.keys(result).length, 50);
    assert.deepEqual(Object.keys(result_error), ["u50", "u51"]);
    assert.deepEqual(result_error.u50, {
      error: "ERROR_BATCH_LENGTH_EXCEEDED",
      error_description: "Max batch length exceeded",
    });
  });

  it("register + finish in one batch through $result[key][CALL_ID]", async () => {
    const reply = await batch({
      r: "telephony.externalcall.register?USER_ID=2&PHONE_NUMBER=%2B74951000001&TYPE=2&EXTERNAL_CALL_ID=b-1",
      f: "telephony.externalcall.finish?CALL_ID=$result[r][CALL_ID]&USER_ID=2&DURATION=15",
      note: "im.notify.personal.add?USER_ID=2&MESSAGE=Call $result[r][CALL_ID] done",
    });
    const { result, result_error, result_time } = reply.body.result;
    assert.deepEqual(result_error, []);
    assert.equal(result.f.CALL_ID, result.r.CALL_ID);
    assert.equal(result.f.CALL_DURATION, 15);
    assert.ok(result_time.r.start > 0 && "operating" in result_time.f);
    const state = await portal.state();
    assert.equal(state.notifications[0].message, `Call ${result.r.CALL_ID} done`);
    assert.equal(state.calls[0].PHONE_NUMBER, "+74951000001");
  });

  it("substitutes a raw array when the whole value is one reference", async () => {
    const reply = await batch({
      early: "crm.duplicate.findbycomm?type=PHONE&values[]=$result[c][PHONE][1][VALUE]",
      c: "crm.contact.get?id=11",
      d: "crm.duplicate.findbycomm?type=PHONE&values[]=$result[c][PHONE][1][VALUE]",
      r: "telephony.externalcall.register?USER_ID=2&PHONE_NUMBER=%2B74951000002&TYPE=2&SHOW=0",
      s: "telephony.externalcall.show?CALL_ID=$result[r][CALL_ID]&USER_ID=$result[d][CONTACT]",
    });
    const { result, result_error } = reply.body.result;
    assert.deepEqual(result.early, [], "a reference to a later command stays unresolved");
    assert.deepEqual(result.d, { CONTACT: [11] });
    assert.equal(result.s, true);
    assert.deepEqual(result_error, []);
    assert.deepEqual((await portal.state()).calls[0].cardShownTo, [11]);
  });

  it("halt=1 stops at the first failing command", async () => {
    const reply = await batch({ a: "user.get?ID=2", b: "no.such.method", c: "user.get?ID=3" }, 1);
    const { result, result_error } = reply.body.result;
    assert.deepEqual(Object.keys(result), ["a"]);
    assert.equal(result_error.b.error, "ERROR_METHOD_NOT_FOUND");
    assert.ok(!("c" in result));
  });

  it("halt=0 runs on; a nested batch is ERROR_BATCH_METHOD_NOT_ALLOWED", async () => {
    const reply = await batch({ a: "batch?cmd[x]=user.get", b: "user.get?ID=3" });
    const { result, result_error } = reply.body.result;
    assert.equal(result_error.a.error, "ERROR_BATCH_METHOD_NOT_ALLOWED");
    assert.equal(result.b[0].ID, "3");
  });

  it("a command list gives list-shaped sections, totals and next pages", async () => {
    const reply = await batch(["user.get", "user.get?start=50"]);
    const body = reply.body.result;
    assert.ok(Array.isArray(body.result));
    assert.deepEqual(body.result_total, [22, 22]);
    assert.deepEqual(body.result_next, []);
    assert.deepEqual(body.result_error, []);
  });

  it("works form-encoded through a webhook and logs one request with its commands", async () => {
    const cmd = encodeURIComponent("user.get?FILTER[UF_PHONE_INNER]=101");
    const reply = await portal.form(
      `${HOOK}/BATCH`,
      `halt=0&cmd[one]=${cmd}&cmd[two]=${encodeURIComponent("crm.lead.list")}`,
    );
    assert.equal(reply.body.result.result.one[0].ID, "2");
    assert.equal(reply.body.result.result.two.length, 2);
    const { requests } = await portal.state();
    assert.equal(requests.length, 1);
    assert.deepEqual(
      {
        method: requests[0].method,
        batchSize: requests[0].batchSize,
        commands: requests[0].commands,
        auth: requests[0].auth,
      },
      { method: "batch", batchSize: 2, commands: ["user.get", "crm.lead.list"], auth: "webhook" },
    );
  });
});
