import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callbackDedupeKey, parseCallbackData } from "../../../app/callback/callbackEvent.ts";

describe("the callback form's event", () => {
  it("takes PHONE_NUMBER, LINE_NUMBER, TEXT and the CRM entity", () => {
    const parsed = parseCallbackData({
      PHONE_NUMBER: " +7 495 100-00-01 ",
      LINE_NUMBER: "4951110001",
      TEXT: "Call the client back",
      VOICE: "ruinternalfemale",
      CRM_ENTITY_TYPE: "CONTACT",
      CRM_ENTITY_ID: "10",
    });
    assert.deepEqual(parsed, {
      ok: true,
      request: {
        phoneNumber: "+7 495 100-00-01",
        lineNumber: "4951110001",
        text: "Call the client back",
        crmEntityType: "CONTACT",
        crmEntityId: "10",
      },
    });
  });

  it("refuses a form without a number with digits", () => {
    for (const data of [{}, { PHONE_NUMBER: "" }, { PHONE_NUMBER: "anonymous" }, { PHONE_NUMBER: ["1"] }]) {
      const parsed = parseCallbackData(data);
      assert.equal(parsed.ok, false, JSON.stringify(data));
    }
  });

  it("an empty line and missing text are kept empty (the default group rings)", () => {
    const parsed = parseCallbackData({ PHONE_NUMBER: "84951000001" });
    assert.deepEqual(parsed, { ok: true, request: { phoneNumber: "84951000001", lineNumber: "", text: "" } });
  });

  it("dedupes by number and line: same pair same key, another line or number another key", () => {
    const a = callbackDedupeKey("+74951000001", "4951110001");
    assert.equal(a, callbackDedupeKey("+74951000001", "4951110001"));
    assert.notEqual(a, callbackDedupeKey("+74951000001", "4951110002"));
    assert.notEqual(a, callbackDedupeKey("+74951000002", "4951110001"));
    assert.match(a, /^[0-9a-f]{20}$/);
  });
});
