import { test } from "node:test";
import assert from "node:assert/strict";
import { BitrixClient } from "../../../workers/bitrix/client.ts";
import { NetworkError } from "../../../workers/bitrix/errors.ts";
import { createWebhookAuth } from "../../../workers/bitrix/webhookAuth.ts";

test("given an unreachable portal, then the NetworkError names no webhook secret", async () => {
  // Port 9 (discard) on localhost: refused at once, nothing is started.
  const client = new BitrixClient({
    auth: createWebhookAuth("http://127.0.0.1:9/rest/1/very-secret-value/"),
    requestTimeoutMs: 2000,
  });
  const err = await client.callBatch({ a: "user.current" }).catch((e: unknown) => e);
  assert.ok(err instanceof NetworkError, String(err));
  assert.equal(err.retryable, true);
  assert.ok(!`${err.message} ${err.stack}`.includes("very-secret-value"));
});
