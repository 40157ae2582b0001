import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { loadSeedFile, type Seed } from "../../emulator/seed.ts";
import { Portal } from "./support.ts";

let portal: Portal;
before(async () => {
  const seed = loadSeedFile() as Seed & { users: Record<string, unknown>[] };
  for (let id = 100; id < 160; id++)
    seed.users.push({ ID: id, NAME: "Extra", LAST_NAME: String(id), ACTIVE: id % 2 === 0 });
  portal = await Portal.start({ seed });
});
after(() => portal.close());
beforeEach(() => portal.reset());

describe("user.get", () => {
  it("filters by UF_PHONE_INNER and ACTIVE; extensions 301-303 are no users", async () => {
    const op = await portal.hook("user.get", { FILTER: { UF_PHONE_INNER: "120", ACTIVE: true } });
    assert.deepEqual(
      op.body.result.map((u: { ID: string }) => u.ID),
      ["21"],
    );
    const inactive = await portal.hook("user.get", { FILTER: { UF_PHONE_INNER: "121", ACTIVE: "Y" } });
    assert.deepEqual(inactive.body.result, []);
    const support = await portal.hook("user.get", { FILTER: { UF_PHONE_INNER: "301" } });
    assert.equal(support.body.total, 0);
    const byId = await portal.form("/rest/1/demo-webhook-secret/user.get", "FILTER[ID]=5");
    assert.equal(byId.body.result[0].UF_PHONE_INNER, "104");
  });

  it("pages by 50 with start, next and total", async () => {
    const first = await portal.hook("user.get");
    assert.equal(first.body.result.length, 50);
    assert.equal(first.body.total, 82);
    assert.equal(first.body.next, 50);
    const last = await portal.hook("user.get", { start: 50 });
    assert.equal(last.body.result.length, 32);
    assert.equal(last.body.next, undefined);
    const active = await portal.hook("user.get", { FILTER: { ACTIVE: true } });
    assert.equal(active.body.total, 51);
  });
});

describe("CRM lookups", () => {
  it("crm.duplicate.findbycomm finds by phone in any notation, filters by entity_type, [] when nothing", async () => {
    const all = await portal.hook("crm.duplicate.findbycomm", {
      type: "PHONE",
      values: ["8 (495) 100-00-01", "+74952000002"],
    });
    assert.deepEqual(all.body.result, { CONTACT: [10], COMPANY: [21] });
    const leadsOnly = await portal.hook("crm.duplicate.findbycomm", {
      type: "PHONE",
      values: ["+74951000001"],
      entity_type: "LEAD",
    });
    assert.deepEqual(leadsOnly.body.result, []);
    const noType = await portal.hook("crm.duplicate.findbycomm", { values: ["1"] });
    assert.equal(noType.body.error, "Communication type is not defined");
    const tooMany = await portal.hook("crm.duplicate.findbycomm", {
      type: "PHONE",
      values: Array(21).fill("1"),
    });
    assert.equal(tooMany.status, 400);
  });

  it("searchCrmEntities returns the entity and the responsible user's extension", async () => {
    const reply = await portal.hook("telephony.externalcall.searchCrmEntities", {
      PHONE_NUMBER: "+74951000002",
    });
    const [hit] = reply.body.result;
    assert.deepEqual([hit.CRM_ENTITY_TYPE, hit.CRM_ENTITY_ID, hit.ASSIGNED_BY_ID], ["CONTACT", 11, 3]);
    assert.equal(hit.ASSIGNED_BY.USER_PHONE_INNER, "102");
    const empty = await portal.hook("telephony.externalcall.searchCrmEntities", {});
    assert.equal(empty.body.error_description, "PHONE_NUMBER is empty");
  });

  it("contact, lead and company get/list/add", async () => {
    const contact = (await portal.hook("crm.contact.get", { id: 10 })).body.result;
    assert.deepEqual([contact.ID, contact.NAME, contact.ASSIGNED_BY_ID], ["10", "Ivan", "2"]);
    assert.equal(contact.PHONE[0].VALUE, "+74951000001");
    assert.equal((await portal.hook("crm.contact.get", { id: 999 })).status, 400);
    const id = (
      await portal.hook("crm.contact.add", {
        fields: { NAME: "Nina", PHONE: [{ VALUE: "+79001112233", VALUE_TYPE: "MOBILE" }] },
      })
    ).body.result;
    const found = await portal.hook("crm.contact.list", { filter: { PHONE: "89001112233" } });
    assert.deepEqual(
      found.body.result.map((c: { ID: string }) => c.ID),
      [String(id)],
    );
    const leadId = (await portal.hook("crm.lead.add", { fields: { TITLE: "New", ASSIGNED_BY_ID: 4 } })).body
      .result;
    assert.equal((await portal.hook("crm.lead.get", { id: leadId })).body.result.ASSIGNED_BY_ID, "4");
    assert.equal((await portal.hook("crm.lead.list")).body.total, 3);
    const companies = await portal.hook("crm.company.list", { filter: { "%TITLE": "romashka" } });
    assert.deepEqual(
      companies.body.result.map((c: { ID: string }) => c.ID),
      ["20"],
    );
    assert.equal((await portal.hook("crm.company.get", { id: 21 })).body.result.TITLE, "Vasilek JSC");
  });
});

describe("im", () => {
  it("notify.personal.add, notify and message.add store what they send and check their params", async () => {
    const note = await portal.hook("im.notify.personal.add", {
      USER_ID: 3,
      MESSAGE: "Missed call from +7495",
    });
    assert.ok(note.body.result > 0);
    await portal.hook("im.notify", { USER_ID: 3, MESSAGE: "System", TYPE: "SYSTEM" });
    const msg = await portal.hook("im.message.add", { DIALOG_ID: "chat7", MESSAGE: "Queue overflow" });
    assert.ok(msg.body.result > 0);
    assert.equal((await portal.hook("im.notify.personal.add", { MESSAGE: "x" })).body.error, "USER_ID_EMPTY");
    assert.equal((await portal.hook("im.notify.personal.add", { USER_ID: 3 })).body.error, "MESSAGE_EMPTY");
    assert.equal(
      (await portal.hook("im.message.add", { DIALOG_ID: "9999", MESSAGE: "x" })).body.error,
      "USER_NOT_FOUND",
    );
    const state = await portal.state();
    assert.deepEqual(
      state.notifications.map((n: { type: string }) => n.type),
      ["USER", "SYSTEM"],
    );
    assert.equal(state.messages[0].dialogId, "chat7");
  });
});

describe("state endpoint", () => {
  it("lists every section and supports ?since", async () => {
    await portal.register();
    const state = await portal.state();
    for (const key of [
      "calls",
      "activities",
      "leads",
      "contacts",
      "notifications",
      "messages",
      "events",
      "requests",
      "statistics",
    ]) {
      assert.ok(Array.isArray(state[key]), key);
    }
    const later = await portal.control("GET", `state?since=${state.now + 1}`);
    assert.deepEqual([later.body.calls.length, later.body.requests.length], [0, 0]);
  });
});
