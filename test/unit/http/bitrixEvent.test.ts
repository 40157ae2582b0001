import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { verifyBitrixEvent } from "../../../app/http/bitrixEvent.ts";
import { parseBasic } from "../../../app/http/adminAuth.ts";
import { secretsEqual } from "../../../app/http/secretCompare.ts";

const TOKEN = "tok-123";
const body = (extra: Record<string, unknown> = {}) => ({
  event: "onExternalCallStart",
  data: { CALL_ID: "c1" },
  auth: { application_token: TOKEN, domain: "p.example", access_token: "AT", refresh_token: "RT" },
  ...extra,
});

describe("verifyBitrixEvent", () => {
  it("given the right token, then ok with the name upper-cased and no auth secrets", () => {
    const v = verifyBitrixEvent(body(), TOKEN);
    assert.deepEqual(v, {
      kind: "ok",
      event: { name: "ONEXTERNALCALLSTART", data: { CALL_ID: "c1" }, domain: "p.example" },
    });
    assert.doesNotMatch(JSON.stringify(v), /tok-123|"AT"|"RT"/);
  });

  it("given a wrong, shorter or missing token, then unauthenticated", () => {
    const wrong = verifyBitrixEvent(body({ auth: { application_token: "tok-124" } }), TOKEN);
    assert.deepEqual(wrong, {
      kind: "unauthenticated",
      reason: "application_token mismatch",
      name: "ONEXTERNALCALLSTART",
    });
    assert.equal(
      verifyBitrixEvent(body({ auth: { application_token: "t" } }), TOKEN).kind,
      "unauthenticated",
    );
    assert.deepEqual(verifyBitrixEvent(body({ auth: undefined }), TOKEN), {
      kind: "unauthenticated",
      reason: "missing application_token",
      name: "ONEXTERNALCALLSTART",
    });
    assert.equal(verifyBitrixEvent(body({ auth: "x" }), TOKEN).kind, "unauthenticated");
  });

  it("given no configured token, then notConfigured (never accepted)", () => {
    assert.deepEqual(verifyBitrixEvent(body(), undefined), { kind: "notConfigured" });
    assert.deepEqual(verifyBitrixEvent(body(), ""), { kind: "notConfigured" });
  });

  it("given malformed bodies, then malformed", () => {
    assert.equal(verifyBitrixEvent(undefined, TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent({}, TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent("event=x", TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent(body({ event: undefined }), TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent(body({ event: "bad name!" }), TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent(body({ data: "x" }), TOKEN).kind, "malformed");
    assert.equal(verifyBitrixEvent(body({ data: ["x"] }), TOKEN).kind, "malformed");
  });

  it("given an event without data (ONAPPUNINSTALL), then ok with empty data", () => {
    const v = verifyBitrixEvent({ event: "ONAPPUNINSTALL", auth: { application_token: TOKEN } }, TOKEN);
    assert.deepEqual(v, { kind: "ok", event: { name: "ONAPPUNINSTALL", data: {} } });
  });
});

describe("parseBasic and secretsEqual", () => {
  it("parses Basic credentials, keeping colons in the password", () => {
    const header = `Basic ${Buffer.from("admin:pa:ss").toString("base64")}`;
    assert.deepEqual(parseBasic(header), { user: "admin", password: "pa:ss" });
    assert.equal(parseBasic(undefined), undefined);
    assert.equal(parseBasic("Bearer abc"), undefined);
    assert.equal(parseBasic(`Basic ${Buffer.from("nocolon").toString("base64")}`), undefined);
  });

  it("compares secrets of any length", () => {
    assert.equal(secretsEqual("abc", "abc"), true);
    assert.equal(secretsEqual("abc", "abd"), false);
    assert.equal(secretsEqual("", "abc"), false);
    assert.equal(secretsEqual("abcdef", "abc"), false);
  });
});
