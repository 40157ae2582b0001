import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOfflineAuth, parseTokenFile } from "../../../workers/bitrix/offlineAuth.ts";
import { AuthFailed, TokenExpired } from "../../../workers/bitrix/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "itgrix-offline-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("token files: access_token, token, or a bare token", () => {
  assert.equal(parseTokenFile('{"access_token":"a1"}'), "a1");
  assert.equal(parseTokenFile('{"token":"t1"}'), "t1");
  assert.equal(parseTokenFile("  bare-token\n"), "bare-token");
  assert.equal(parseTokenFile('{"other":1}'), undefined);
  assert.equal(parseTokenFile("not json {"), undefined);
  assert.equal(parseTokenFile(""), undefined);
});

test("given two token files, the first valid is used; a rejected one is skipped; all rejected = AuthFailed", async () => {
  const f1 = join(dir, "token.json");
  const f2 = join(dir, "token-1.json");
  writeFileSync(f1, '{"access_token":"first"}');
  writeFileSync(f2, '{"token":"second"}');
  const auth = createOfflineAuth("https://portal.example/rest", [f1, f2], { recheckMs: 0 });
  assert.deepEqual(await auth.credentials(), { baseUrl: "https://portal.example/rest/", token: "first" });
  await auth.onTokenRejected("first", new TokenExpired());
  assert.equal((await auth.credentials()).token, "second");
  await assert.rejects(auth.onTokenRejected("second", new TokenExpired()), AuthFailed);
  assert.equal(auth.state(), "failed");
});

test("given a token file that changes, then the new token is picked up", async () => {
  const f = join(dir, "changing.json");
  writeFileSync(f, '{"access_token":"old"}');
  const auth = createOfflineAuth("https://portal.example/rest/", [f], { recheckMs: 0 });
  assert.equal((await auth.credentials()).token, "old");
  writeFileSync(f, '{"access_token":"new-token"}');
  const later = new Date(Date.now() + 5000);
  utimesSync(f, later, later);
  assert.equal((await auth.credentials()).token, "new-token");
  assert.equal(auth.state(), "ok");
});

test("given a missing file, then credentials fail with AuthFailed without leaking anything", async () => {
  const auth = createOfflineAuth("https://portal.example/rest/", [join(dir, "absent.json")], {
    recheckMs: 0,
  });
  await assert.rejects(
    auth.credentials(),
    (e: unknown) => e instanceof AuthFailed && e.code === "NO_VALID_TOKEN",
  );
});
