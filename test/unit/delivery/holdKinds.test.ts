import assert from "node:assert/strict";
import { test } from "node:test";
import { holdsAsCommandError } from "../../../workers/bitrix/errors.ts";
import { holdKind } from "../../../workers/delivery/holdKinds.ts";

test("each portal-wide refusal names the kind of fix it waits for", () => {
  const cases: [string, string][] = [
    ["INVALID_CREDENTIALS", "credentials"],
    ["invalid_token", "credentials"],
    ["NO_AUTH_FOUND", "credentials"],
    ["invalid_grant", "credentials"],
    ["expired_token", "credentials"],
    ["NO_VALID_TOKEN", "token_file"],
    ["insufficient_scope", "rights"],
    ["WRONG_AUTH_TYPE", "rights"],
    ["ACCESS_DENIED", "rights"],
    ["HTTP_403", "rights"],
    ["OVERLOAD_LIMIT", "blocked"],
    ["PAYMENT_REQUIRED", "blocked"],
    ["HTTP_408", "request"],
    ["HTTP_413", "request"],
    ["ERROR_METHOD_NOT_FOUND", "address"],
    ["PORTAL_UNREACHABLE", "unreachable"],
  ];
  for (const [code, kind] of cases) assert.equal(holdKind(code), kind, code);
});

test("inside a batch only codes that cannot be about one call hold (ACCESS_DENIED may be one entity's)", () => {
  for (const code of ["insufficient_scope", "WRONG_AUTH_TYPE", "PAYMENT_REQUIRED", "OVERLOAD_LIMIT"]) {
    assert.ok(holdsAsCommandError(code), code);
  }
  for (const code of [
    "ACCESS_DENIED",
    "ERROR_CORE",
    "QUERY_LIMIT_EXCEEDED",
    "NOT_FOUND",
    "INVALID_CREDENTIALS",
  ]) {
    assert.ok(!holdsAsCommandError(code), code);
  }
});
