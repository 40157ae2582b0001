import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Portal } from "./support.ts";

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(() => portal.reset());

const finish = (params: Record<string, unknown>) => portal.app("telephony.externalcall.finish", params);
const NOT_FOUND = "Call is not found (call should be registered prior to finishing)";

describe("telephony.externalcall.finish", () => {
  it("before register, and a second time, → ERROR_CORE 'Call is not found…'", async () => {
    const unknown = await finish({ CALL_ID: "externalCall.nope.1", USER_ID: 2 });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error_description, NOT_FOUND);
    const callId = await portal.register();
    assert.equal((await finish({ CALL_ID: callId, USER_ID: 2, DURATION: 5 })).status, 200);
    const again = await finish({ CALL_ID: callId, USER_ID: 2 });
    assert.equal(again.body.error, "ERROR_CORE");
    assert.equal(again.body.error_description, NOT_FOUND);
  });

  it("a non-string CALL_ID → INVALID_ARGUMENT; no user → ERROR_CORE", async () => {
    const numeric = await finish({ CALL_ID: 12345, USER_ID: 2 });
    assert.equal(numeric.body.error, "INVALID_ARGUMENT");
    assert.equal(numeric.body.error_description, "CALL_ID must be a string");
    const noUser = await finish({ CALL_ID: await portal.register() });
    assert.equal(noUser.body.error_description, "USER_ID or USER_PHONE_INNER should be set");
  });

  it("returns the statistics record and hides the card from everyone", async () => {
    const callId = await portal.register({ PHONE_NUMBER: "+74951000001", EXTERNAL_CALL_ID: "ast-9" });
    await portal.app("telephony.externalcall.show", { CALL_ID: callId, USER_ID: [3, 4] });
    const reply = await finish({
      CALL_ID: callId,
      USER_PHONE_INNER: "103",
      DURATION: 42,
      COST: 1.5,
      VOTE: 4,
    });
    const stat = reply.body.result;
    assert.equal(stat.CALL_ID, callId);
    assert.equal(stat.EXTERNAL_CALL_ID, "ast-9");
    assert.equal(stat.PORTAL_USER_ID, 4);
    assert.equal(stat.CALL_DURATION, 42);
    assert.equal(stat.CALL_STATUS, 1);
    assert.equal(stat.CALL_FAILED_CODE, "200");
    assert.equal(stat.CALL_VOTE, 4);
    assert.equal(stat.CRM_ENTITY_TYPE, "CONTACT");
    assert.ok(stat.CRM_ACTIVITY_ID > 0);
    const [call] = (await portal.state()).calls;
    assert.equal(call.state, "finished");
    assert.deepEqual(call.cardShownTo, []);
    const hides = call.cardLog
      .filter((e: { action: string }) => e.action === "hide")
      .map((e: { userId: number }) => e.userId);
    assert.deepEqual(hides.sort(), [2, 3, 4]);
    assert.equal(call.finish.DURATION, 42);
    assert.ok(call.finish.finishedAt >= call.registeredAt);
  });

  it("STATUS_CODE defaults to 304 without duration; a missed incoming call's activity stays open", async () => {
    const callId = await portal.register({ PHONE_NUMBER: "+74951000002" });
    const stat = (await finish({ CALL_ID: callId, USER_ID: 2 })).body.result;
    assert.equal(stat.CALL_FAILED_CODE, "304");
    assert.equal(stat.CALL_STATUS, 0);
    const activity = (await portal.app("crm.activity.get", { id: stat.CRM_ACTIVITY_ID })).body.result;
    assert.equal(activity.COMPLETED, "N");
    assert.equal(activity.DIRECTION, "1");
  });

  it("creates the CRM call activity with the contract's fields", async () => {
    const callId = await portal.register({
      PHONE_NUMBER: "+74951000003",
      TYPE: 1,
      CALL_START_DATE: "2026-03-07T10:20:30+03:00",
    });
    const stat = (await finish({ CALL_ID: callId, USER_ID: 5, DURATION: 60 })).body.result;
    const list = await portal.app("crm.activity.list", {
      filter: { ORIGIN_ID: `VI_${callId}`, PROVIDER_ID: "VOXIMPLANT_CALL" },
    });
    assert.equal(list.body.total, 1);
    const activity = list.body.result[0];
    assert.equal(activity.ID, String(stat.CRM_ACTIVITY_ID));
    assert.equal(activity.OWNER_TYPE_ID, "3");
    assert.equal(activity.OWNER_ID, "12");
    assert.equal(activity.DIRECTION, "2");
    assert.equal(activity.RESPONSIBLE_ID, "5");
    assert.equal(activity.COMPLETED, "Y");
    assert.equal(Date.parse(activity.END_TIME) - Date.parse(activity.START_TIME), 60_000);
    assert.equal(Date.parse(activity.START_TIME), Date.parse("2026-03-07T10:20:30+03:00"));
    assert.ok(activity.SUBJECT.length > 0);
    assert.ok("SETTINGS" in activity);
    const byOwner = await portal.app("crm.activity.list", { filter: { OWNER_ID: 12, OWNER_TYPE_ID: 3 } });
    assert.equal(byOwner.body.total, 1);
  });

  it("an internal call or an unbound one gets no activity", async () => {
    const callId = await portal.register({ PHONE_NUMBER: "104" });
    const stat = (await finish({ CALL_ID: callId, USER_ID: 2, DURATION: 3 })).body.result;
    assert.equal(stat.CRM_ACTIVITY_ID, null);
  });

  it("a lead created during the call is assigned to the finishing user", async () => {
    const reply = await portal.app("telephony.externalcall.register", {
      USER_ID: 2,
      PHONE_NUMBER: "+79995550000",
      TYPE: 2,
      CRM_CREATE: 1,
    });
    const leadId = reply.body.result.CRM_CREATED_LEAD;
    await finish({ CALL_ID: reply.body.result.CALL_ID, USER_ID: 7, DURATION: 10 });
    const lead = (await portal.app("crm.lead.get", { id: leadId })).body.result;
    assert.equal(lead.ASSIGNED_BY_ID, "7");
    const contact = (await portal.app("crm.contact.get", { id: 10 })).body.result;
    assert.equal(contact.ASSIGNED_BY_ID, "2", "existing entities keep their responsible user");
  });

  it("crm.activity.update sets COMPLETED and moves DEADLINE with START_TIME", async () => {
    const callId = await portal.register({ PHONE_NUMBER: "+74951000001" });
    const stat = (await finish({ CALL_ID: callId, USER_ID: 2 })).body.result;
    const update = await portal.app("crm.activity.update", {
      id: stat.CRM_ACTIVITY_ID,
      fields: { COMPLETED: "Y", START_TIME: "2026-03-08T09:00:00+03:00" },
    });
    assert.equal(update.body.result, true);
    const activity = (await portal.app("crm.activity.get", { id: stat.CRM_ACTIVITY_ID })).body.result;
    assert.equal(activity.COMPLETED, "Y");
    assert.equal(activity.DEADLINE, "2026-03-08T09:00:00+03:00");
    const missing = await portal.app("crm.activity.update", { id: 999999, fields: {} });
    assert.equal(missing.status, 400);
  });
});

describe("voximplant.statistic.get", () => {
  it("finds the finish record by EXTERNAL_CALL_ID or CALL_ID, and nothing for an unfinished call", async () => {
    const callId = await portal.register({ EXTERNAL_CALL_ID: "crash-1" });
    const before = await portal.app("voximplant.statistic.get", { FILTER: { EXTERNAL_CALL_ID: "crash-1" } });
    assert.deepEqual(before.body.result, []);
    assert.equal(before.body.total, 0);
    await finish({ CALL_ID: callId, USER_ID: 2, DURATION: 9 });
    const byExternal = await portal.app("voximplant.statistic.get", {
      FILTER: { EXTERNAL_CALL_ID: "crash-1" },
    });
    assert.equal(byExternal.body.result[0].CALL_ID, callId);
    const byCallId = await portal.app("voximplant.statistic.get", { FILTER: { CALL_ID: callId } });
    assert.equal(byCallId.body.result[0].CALL_DURATION, 9);
  });
});

describe("show and hide", () => {
  it("take one id or an array, default to the registering user and keep an ordered log", async () => {
    const callId = await portal.register({ SHOW: 0 });
    const show = (params: Record<string, unknown>) =>
      portal.app("telephony.externalcall.show", { CALL_ID: callId, ...params });
    const hide = (params: Record<string, unknown>) =>
      portal.app("telephony.externalcall.hide", { CALL_ID: callId, ...params });
    assert.equal((await show({ USER_ID: [3, 4, 5] })).body.result, true);
    assert.equal((await hide({ USER_ID: 4 })).body.result, true);
    await show({});
    const [call] = (await portal.state()).calls;
    assert.deepEqual(call.cardShownTo, [3, 5, 2]);
    assert.deepEqual(
      call.cardLog.map((e: { action: string; userId: number }) => `${e.action}:${e.userId}`),
      ["show:3", "show:4", "show:5", "hide:4", "show:2"],
    );
    assert.ok(call.cardLog.every((e: { at: number }) => typeof e.at === "number"));
  });

  it("accept form-encoded USER_ID[] arrays", async () => {
    const callId = await portal.register({ SHOW: 0 });
    const reply = await portal.form(
      "/rest/telephony.externalcall.show",
      `auth=demo-offline-token&CALL_ID=${callId}&USER_ID[]=6&USER_ID[]=7`,
    );
    assert.equal(reply.body.result, true);
    assert.deepEqual((await portal.state()).calls[0].cardShownTo, [6, 7]);
  });

  it("return false for an unknown or finished call", async () => {
    const unknown = await portal.app("telephony.externalcall.show", { CALL_ID: "externalCall.x.1" });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.result, false);
    const callId = await portal.register();
    await finish({ CALL_ID: callId, USER_ID: 2 });
    assert.equal((await portal.app("telephony.externalcall.hide", { CALL_ID: callId })).body.result, false);
  });
});
