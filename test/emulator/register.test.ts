import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Portal } from "./support.ts";

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(() => portal.reset());

const register = (params: Record<string, unknown>) =>
  portal.app("telephony.externalcall.register", {
    USER_ID: 2,
    PHONE_NUMBER: "+74959999999",
    TYPE: 2,
    ...params,
  });

async function expectCoreError(params: Record<string, unknown>, description: string) {
  const reply = await register(params);
  assert.equal(reply.status, 400, JSON.stringify(reply.body));
  assert.equal(reply.body.error, "ERROR_CORE");
  assert.equal(reply.body.error_description, description);
}

describe("telephony.externalcall.register validation", () => {
  it("needs USER_ID or USER_PHONE_INNER", () =>
    expectCoreError({ USER_ID: undefined }, "USER_ID or USER_PHONE_INNER should be set"));
  it("refuses an inactive user (22) and an unknown one", async () => {
    await expectCoreError({ USER_ID: 22 }, "User is not found or is not active");
    await expectCoreError({ USER_ID: 999 }, "User is not found or is not active");
    await expectCoreError(
      { USER_ID: undefined, USER_PHONE_INNER: "121" },
      "User is not found or is not active",
    );
  });
  it("refuses TYPE outside 1..5", async () => {
    await expectCoreError({ TYPE: 0 }, "Unknown TYPE");
    await expectCoreError({ TYPE: 6 }, "Unknown TYPE");
  });
  it("checks CALL_START_DATE is ISO-8601", () =>
    expectCoreError(
      { CALL_START_DATE: "07.03.2026 10:20" },
      "CALL_START_DATE should be in the ISO-8601 format",
    ));
  it("refuses a phone number with nothing the portal keeps (0-9 # * + , ;), or just 0", async () => {
    for (const refused of ["anonymous", "", "  ", "Restricted", "(-)", "٠١٢٣", "０１２", "0", " 0 "])
      await expectCoreError({ PHONE_NUMBER: refused }, "Unsupported phone number format");
  });
  it("accepts what survives the portal's strip, and keeps the stripped number", async () => {
    const kept: [string, string][] = [
      ["+", "+"],
      ["*#", "*#"],
      ["00", "00"],
      ["+7 (495) 123-45-67", "+74951234567"],
      ["٠١٢ 7", "7"],
    ];
    for (const [sent, stored] of kept) {
      await portal.reset();
      const reply = await register({ PHONE_NUMBER: sent });
      assert.equal(reply.status, 200, `${sent}: ${JSON.stringify(reply.body)}`);
      assert.equal((await portal.state()).calls[0].PHONE_NUMBER, stored, sent);
    }
  });
  it("strips letters from PHONE_NUMBER and resolves USER_PHONE_INNER", async () => {
    const reply = await register({
      USER_ID: undefined,
      USER_PHONE_INNER: "105",
      PHONE_NUMBER: "tel+74951234567",
    });
    assert.equal(reply.status, 200);
    const call = (await portal.state()).calls[0];
    assert.equal(call.PHONE_NUMBER, "+74951234567");
    assert.equal(call.USER_ID, 6);
  });
});

describe("telephony.externalcall.register results", () => {
  it("returns a CALL_ID externalCall.<md5>.<unixtime> and shows the card by default", async () => {
    const reply = await register({ EXTERNAL_CALL_ID: "1700000000.1", LINE_NUMBER: "74950000000" });
    assert.match(reply.body.result.CALL_ID, /^externalCall\.[0-9a-f]{32}\.\d{10}$/);
    const [call] = (await portal.state()).calls;
    assert.equal(call.state, "registered");
    assert.deepEqual(call.cardShownTo, [2]);
    assert.equal(call.cardLog[0].action, "show");
    assert.equal(call.EXTERNAL_CALL_ID, "1700000000.1");
    assert.equal(call.LINE_NUMBER, "74950000000");
    for (const key of ["CALL_START_DATE", "TYPE", "registeredAt", "finish", "records"])
      assert.ok(key in call, key);
  });

  it("SHOW=0 shows nothing", async () => {
    await register({ SHOW: 0 });
    assert.deepEqual((await portal.state()).calls[0].cardShownTo, []);
  });

  it("matches a contact by phone in another notation (8 495 …)", async () => {
    const reply = await register({ PHONE_NUMBER: "84951000001" });
    assert.equal(reply.body.result.CRM_ENTITY_TYPE, "CONTACT");
    assert.equal(reply.body.result.CRM_ENTITY_ID, 10);
    assert.equal(reply.body.result.CRM_CREATED_LEAD, null);
  });

  it("matches companies and leads too", async () => {
    assert.equal((await register({ PHONE_NUMBER: "+74952000001" })).body.result.CRM_ENTITY_TYPE, "COMPANY");
    assert.equal((await register({ PHONE_NUMBER: "+74953000002" })).body.result.CRM_ENTITY_ID, 31);
  });

  it("CRM_CREATE=1 creates a lead when nothing matches", async () => {
    const reply = await register({ PHONE_NUMBER: "+79990001122", CRM_CREATE: 1 });
    const result = reply.body.result;
    assert.equal(result.CRM_ENTITY_TYPE, "LEAD");
    assert.equal(result.CRM_CREATED_LEAD, result.CRM_ENTITY_ID);
    assert.deepEqual(result.CRM_CREATED_ENTITIES, [
      { ENTITY_TYPE: "LEAD", ENTITY_ID: result.CRM_CREATED_LEAD },
    ]);
    const lead = await portal.app("crm.lead.get", { id: result.CRM_CREATED_LEAD });
    assert.equal(lead.body.result.PHONE[0].VALUE, "+79990001122");
  });

  it("without CRM_CREATE an unknown number binds nothing", async () => {
    const result = (await register({ PHONE_NUMBER: "+79990001122" })).body.result;
    assert.equal(result.CRM_ENTITY_TYPE, undefined);
    assert.deepEqual(result.CRM_CREATED_ENTITIES, []);
  });

  it("a number equal to an operator's UF_PHONE_INNER is internal: no CRM even with CRM_CREATE", async () => {
    const result = (await register({ PHONE_NUMBER: "103", CRM_CREATE: 1 })).body.result;
    assert.equal(result.CRM_ENTITY_TYPE, undefined);
    assert.equal(result.CRM_CREATED_LEAD, null);
    assert.equal((await portal.state()).leads.length, 2);
  });

  it("explicit CRM_ENTITY_TYPE/ID wins over phone matching", async () => {
    const result = (
      await register({ PHONE_NUMBER: "+74951000001", CRM_ENTITY_TYPE: "COMPANY", CRM_ENTITY_ID: 21 })
    ).body.result;
    assert.deepEqual([result.CRM_ENTITY_TYPE, result.CRM_ENTITY_ID], ["COMPANY", 21]);
  });
});

describe("the 30-minute re-registration rule", () => {
  const params = { EXTERNAL_CALL_ID: "ast-1", LINE_NUMBER: "74950000000" };

  it("same keys while the call is live → the same CALL_ID and no second call", async () => {
    const first = await portal.register(params);
    const second = await portal.register({ ...params, CALL_START_DATE: "2026-03-07T10:20:30+03:00" });
    assert.equal(second, first);
    assert.equal((await portal.state()).calls.length, 1);
  });

  it("a different EXTERNAL_CALL_ID, TYPE or LINE_NUMBER → a new call", async () => {
    const first = await portal.register(params);
    assert.notEqual(await portal.register({ ...params, EXTERNAL_CALL_ID: "ast-2" }), first);
    assert.notEqual(await portal.register({ ...params, TYPE: 3 }), first);
    assert.notEqual(await portal.register({ ...params, LINE_NUMBER: "74950000001" }), first);
  });

  it("after 30 minutes, or once finished, the same keys register a new call", async () => {
    const first = await portal.register(params);
    await portal.advanceClock(30 * 60_000 + 1000);
    const later = await portal.register(params);
    assert.notEqual(later, first);
    await portal.app("telephony.externalcall.finish", { CALL_ID: later, USER_ID: 2 });
    assert.notEqual(await portal.register(params), later);
  });
});
