import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseBracketQuery } from "../../emulator/http/brackets.ts";
import { Portal } from "./support.ts";

let portal: Portal;
let handler: Server;
let handlerUrl = "";
let received: { contentType: string; body: string }[] = [];

before(async () => {
  portal = await Portal.start();
  handler = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ contentType: req.headers["content-type"] ?? "", body });
      res.writeHead(req.url === "/fail" ? 500 : 200).end("ok");
    });
  });
  await new Promise<void>((resolve) => handler.listen(0, "127.0.0.1", resolve));
  handlerUrl = `http://127.0.0.1:${(handler.address() as AddressInfo).port}/b24`;
});
after(async () => {
  await portal.close();
  await new Promise((resolve) => handler.close(resolve));
});
beforeEach(async () => {
  received = [];
  await portal.reset();
  for (const b of (await portal.app("event.get")).body.result) {
    await portal.app("event.unbind", {
      event: b.event,
      handler: b.handler,
      event_type: b.offline ? "offline" : "online",
    });
  }
});

const fire = (body: Record<string, unknown>) => portal.control("POST", "events/fire", body);

describe("event.bind / get / unbind", () => {
  it("binds, lists and unbinds handlers; unknown events and webhooks are refused", async () => {
    assert.equal(
      (await portal.app("event.bind", { event: "OnExternalCallStart", handler: handlerUrl })).body.result,
      true,
    );
    const listed = (await portal.app("event.get")).body.result;
    assert.deepEqual(listed, [
      { event: "ONEXTERNALCALLSTART", handler: handlerUrl, auth_type: "0", offline: 0 },
    ]);
    const unknown = await portal.app("event.bind", { event: "ONNOTHING", handler: handlerUrl });
    assert.equal(unknown.body.error, "ERROR_EVENT_NOT_FOUND");
    const viaHook = await portal.hook("event.bind", { event: "ONEXTERNALCALLSTART", handler: handlerUrl });
    assert.equal(viaHook.body.error, "WRONG_AUTH_TYPE");
    const removed = await portal.app("event.unbind", { event: "ONEXTERNALCALLSTART", handler: handlerUrl });
    assert.deepEqual(removed.body.result, { count: 1 });
  });
});

describe("firing ONEXTERNALCALLSTART", () => {
  it("registers the call first, then POSTs form-encoded data[...] and auth[...] to the handler", async () => {
    await portal.app("event.bind", { event: "ONEXTERNALCALLSTART", handler: handlerUrl });
    const fired = await fire({
      event: "ONEXTERNALCALLSTART",
      data: { USER_ID: 4, PHONE_NUMBER: "+74951000001" },
    });
    assert.equal(fired.body.delivered, 1);
    assert.match(fired.body.CALL_ID, /^externalCall\./);
    assert.equal(received.length, 1);
    assert.equal(received[0]?.contentType, "application/x-www-form-urlencoded");
    assert.match(received[0]?.body ?? "", /data%5BCALL_ID%5D=/);
    const payload = parseBracketQuery(received[0]?.body ?? "") as Record<string, Record<string, string>>;
    assert.equal(payload.event as unknown, "ONEXTERNALCALLSTART");
    assert.equal(payload.data?.CALL_ID, fired.body.CALL_ID);
    assert.equal(payload.data?.USER_ID, "4");
    assert.equal(payload.data?.CRM_ENTITY_TYPE, "CONTACT");
    assert.equal(payload.auth?.application_token, "demo-application-token");
    assert.equal(payload.auth?.domain, "itgrix-demo.bitrix24.local");
    assert.ok(payload.auth?.access_token);
    const [call] = (await portal.state()).calls;
    assert.deepEqual([call.CALL_ID, call.TYPE, call.USER_ID], [fired.body.CALL_ID, 1, 4]);
    const finish = await portal.app("telephony.externalcall.finish", {
      CALL_ID: fired.body.CALL_ID,
      USER_ID: 4,
      DURATION: 3,
    });
    assert.equal(finish.status, 200);
  });

  it("a handler answering non-200 counts as not delivered (no retries)", async () => {
    await portal.app("event.bind", {
      event: "ONEXTERNALCALLSTART",
      handler: handlerUrl.replace("/b24", "/fail"),
    });
    const fired = await fire({
      event: "ONEXTERNALCALLSTART",
      data: { USER_ID: 4, PHONE_NUMBER: "+74951000001" },
    });
    assert.deepEqual([fired.body.delivered, fired.body.failed], [0, 1]);
    assert.equal(received.length, 1);
  });

  it("ONEXTERNALCALLBACKSTART carries no USER_ID or CALL_ID and registers nothing", async () => {
    await portal.app("event.bind", { event: "ONEXTERNALCALLBACKSTART", handler: handlerUrl });
    const fired = await fire({
      event: "ONEXTERNALCALLBACKSTART",
      data: { USER_ID: 4, PHONE_NUMBER: "+74951000001", TEXT: "Call me" },
    });
    assert.equal(fired.body.delivered, 1);
    const payload = parseBracketQuery(received[0]?.body ?? "") as Record<string, Record<string, string>>;
    assert.equal(payload.data?.TEXT, "Call me");
    assert.ok(!("USER_ID" in (payload.data ?? {})) && !("CALL_ID" in (payload.data ?? {})));
    assert.ok(!("access_token" in (payload.auth ?? {})), "no user triggered it: no tokens");
    assert.equal((await portal.state()).calls.length, 0);
  });
});

describe("offline events", () => {
  it("queue for event.offline.get when bound offline or fired with offline:true", async () => {
    await portal.app("event.bind", { event: "ONEXTERNALCALLSTART", event_type: "offline" });
    const fired = await fire({
      event: "ONEXTERNALCALLSTART",
      data: { USER_ID: 2, PHONE_NUMBER: "+74951000003" },
    });
    assert.deepEqual([fired.body.delivered, fired.body.queued], [0, 1]);
    const peek = await portal.app("event.offline.get", { clear: 0 });
    assert.equal(peek.body.result.events.length, 1);
    assert.equal(peek.body.result.events[0].EVENT_NAME, "ONEXTERNALCALLSTART");
    assert.equal(peek.body.result.events[0].EVENT_DATA.CALL_ID, fired.body.CALL_ID);
    assert.equal((await portal.app("event.offline.get")).body.result.events.length, 0, "marked in process");
    await portal.app("event.offline.clear", { process_id: peek.body.result.process_id });
    await fire({ event: "ONEXTERNALCALLBACKSTART", data: { PHONE_NUMBER: "+7495" }, offline: true });
    const taken = await portal.app("event.offline.get");
    assert.equal(taken.body.result.events.length, 1);
    assert.equal((await portal.app("event.offline.get")).body.result.events.length, 0, "clear=1 removed it");
  });
});
