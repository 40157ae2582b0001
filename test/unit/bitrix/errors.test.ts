import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthFailed,
  BitrixError,
  CommandFailed,
  MethodNotFound,
  NetworkError,
  OperationTimeLimited,
  PortalRefused,
  RateLimited,
  RequestTimeout,
  ServerError,
  TokenExpired,
  classifyError,
  commandErrorInfo,
} from "../../../workers/bitrix/errors.ts";

test("503 QUERY_LIMIT_EXCEEDED is a rate limit the pipeline re-sends (the portal did not run it)", () => {
  const e = classifyError(503, { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" });
  assert.ok(e instanceof RateLimited);
  assert.equal(e.disposition, "retry");
  assert.equal(e.retryable, true);
  assert.equal(e.status, 503);
});

test("503 OVERLOAD_LIMIT is classified by code: not a rate limit, not a 5xx, a hold of the portal", () => {
  const e = classifyError(503, { error: "OVERLOAD_LIMIT", error_description: "blocked" });
  assert.ok(e instanceof PortalRefused);
  assert.ok(!(e instanceof RateLimited));
  assert.ok(!(e instanceof ServerError));
  assert.equal(e.code, "OVERLOAD_LIMIT");
  assert.equal(e.disposition, "hold");
});

test("a whole request refused with 408 or 413 holds; a 404 of batch itself (wrong REST URL) holds", () => {
  for (const status of [408, 413]) {
    const e = classifyError(status, undefined, "batch");
    assert.ok(e instanceof PortalRefused, String(status));
    assert.equal(e.code, `HTTP_${status}`);
    assert.equal(e.disposition, "hold");
  }
  assert.equal(classifyError(404, undefined, "batch").disposition, "hold");
  assert.equal(classifyError(404, { error: "ERROR_METHOD_NOT_FOUND" }, "batch").disposition, "hold");
  assert.equal(classifyError(404, { error: "ERROR_METHOD_NOT_FOUND" }, "user.get").disposition, "refused");
});

test("credentials, rights and payment refusals hold, whatever their case", () => {
  for (const [status, code] of [
    [401, "INVALID_CREDENTIALS"],
    [401, "invalid_token"],
    [401, "NO_AUTH_FOUND"],
    [400, "invalid_grant"],
    [403, "insufficient_scope"],
    [403, "WRONG_AUTH_TYPE"],
    [403, "ACCESS_DENIED"],
    [402, "PAYMENT_REQUIRED"],
  ] as const) {
    const e = classifyError(status, { error: code });
    assert.ok(e instanceof AuthFailed, code);
    assert.equal(e.disposition, "hold", code);
  }
  assert.equal(classifyError(403, undefined).disposition, "hold", "a bare 403 (a proxy refusing us)");
});

test("a connection failure is re-sent only when nothing was written; timeouts likewise", () => {
  assert.equal(new NetworkError("ECONNREFUSED", false).disposition, "retry");
  assert.equal(new NetworkError("ECONNREFUSED", false).code, "CONNECT_FAILED");
  assert.equal(new NetworkError("socket hang up").disposition, "ambiguous");
  assert.equal(new NetworkError("socket hang up").code, "NETWORK");
  assert.equal(new RequestTimeout(1000, false).code, "CONNECT_TIMEOUT");
  assert.equal(new RequestTimeout(1000, false).disposition, "retry");
  assert.equal(new RequestTimeout(1000).disposition, "ambiguous");
});

test("429 OPERATION_TIME_LIMIT carries the method and operating_reset_at in ms", () => {
  const e = classifyError(
    429,
    {
      error: "OPERATION_TIME_LIMIT",
      error_description: "Method is blocked",
      time: { operating_reset_at: 1700000000 },
    },
    "telephony.externalcall.finish",
  );
  assert.ok(e instanceof OperationTimeLimited);
  assert.equal(e.resetAtMs, 1_700_000_000_000);
  assert.equal(e.method, "telephony.externalcall.finish");
  assert.equal(e.retryable, true);
});

test("401 expired_token is TokenExpired, invalid_token and NO_AUTH_FOUND are AuthFailed", () => {
  assert.ok(classifyError(401, { error: "expired_token" }) instanceof TokenExpired);
  const invalid = classifyError(401, { error: "invalid_token", error_description: "x" });
  assert.ok(invalid instanceof AuthFailed);
  assert.equal(invalid.disposition, "hold");
  assert.ok(classifyError(401, { error: "NO_AUTH_FOUND" }) instanceof AuthFailed);
  assert.ok(classifyError(403, { error: "insufficient_scope" }) instanceof AuthFailed);
});

test("404 ERROR_METHOD_NOT_FOUND is MethodNotFound", () => {
  assert.ok(classifyError(404, { error: "ERROR_METHOD_NOT_FOUND" }) instanceof MethodNotFound);
});

test("5xx without a known code is an ambiguous ServerError (it may have run); an unreadable 502 too", () => {
  const e = classifyError(500, { error: "INTERNAL_SERVER_ERROR" });
  assert.ok(e instanceof ServerError);
  assert.equal(e.disposition, "ambiguous");
  assert.equal(classifyError(503, { error: "SERVICE_UNAVAILABLE" }).disposition, "ambiguous");
  const bare = classifyError(502, undefined);
  assert.ok(bare instanceof ServerError);
  assert.equal(bare.code, "HTTP_502");
});

test("400 ERROR_CORE is a refused CommandFailed with its description", () => {
  const e = classifyError(400, { error: "ERROR_CORE", error_description: "Unknown TYPE" });
  assert.ok(e instanceof CommandFailed);
  assert.ok(e instanceof BitrixError);
  assert.equal(e.disposition, "refused");
  assert.equal(e.retryable, false);
  assert.deepEqual(e.toInfo(), {
    code: "ERROR_CORE",
    description: "Unknown TYPE",
    status: 400,
    retryable: false,
  });
});

test("a batch sub-command error has a code, no status, and is permanent unless it is a limit", () => {
  assert.deepEqual(commandErrorInfo({ error: "ERROR_CORE", error_description: "Call is not found" }), {
    code: "ERROR_CORE",
    description: "Call is not found",
    retryable: false,
  });
  assert.equal(commandErrorInfo({ error: "OPERATION_TIME_LIMIT" }).retryable, true);
});
