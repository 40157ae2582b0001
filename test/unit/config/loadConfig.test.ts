import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEnvOverrides, ConfigError, loadConfig, parseConfig } from "../../../core/config/loadConfig.ts";

test("given no file, when loading, then defaults apply (127.0.0.1:8077, standard plan, ring cards)", () => {
  const config = parseConfig({});
  assert.equal(config.http.host, "127.0.0.1");
  assert.equal(config.http.port, 8077);
  assert.equal(config.bitrix.plan, "standard");
  assert.equal(config.crm.cardMode, "ring");
  assert.equal(config.bitrix.requestTimeoutMs, 120_000);
});

test("given ITGRIX__ env overrides in upper case, then camelCase keys are set with parsed values", () => {
  const raw = applyEnvOverrides(
    { http: { port: 1 } },
    { ITGRIX__HTTP__PORT: "9000", ITGRIX__HTTP__STATUSAUTH: "true", ITGRIX__BITRIX__PARALLELBATCHES: "7" },
  );
  const config = parseConfig(raw);
  assert.equal(config.http.port, 9000);
  assert.equal(config.http.statusAuth, true);
  assert.equal(config.bitrix.parallelBatches, 7);
});

test("given a bad value, then the error names the dotted key", () => {
  assert.throws(
    () => parseConfig({ bitrix: { plan: "gold" } }),
    (err: unknown) =>
      err instanceof ConfigError && err.key === "bitrix.plan" && /bitrix\.plan/.test(err.message),
  );
});

test("given a DID pointing at an unknown group, then the error names routing.dids.<did>.group", () => {
  assert.throws(
    () =>
      parseConfig({
        routing: { groups: { sales: { members: ["101"] } }, dids: { "4951": { group: "nope" } } },
      }),
    (err: unknown) => err instanceof ConfigError && err.key === "routing.dids.4951.group",
  );
});

test("given an invalid rewrite regex, then the error names the rule", () => {
  assert.throws(
    () => parseConfig({ numbers: { userRewrite: [{ pattern: "(", replacement: "$1" }] } }),
    (err: unknown) => err instanceof ConfigError && err.key === "numbers.userRewrite.0.pattern",
  );
});

test("given a file that is not JSON, then the error names the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "itgrix-config-"));
  const file = join(dir, "itgrix.json");
  writeFileSync(file, "{ not json");
  assert.throws(
    () => loadConfig(file, {}),
    (err: unknown) => err instanceof ConfigError && err.message.includes(file),
  );
});

test("the shipped example configuration validates once its placeholder secrets are replaced", () => {
  const example = new URL("../../../config/itgrix.example.json", import.meta.url).pathname;
  const config = loadConfig(example, {
    ITGRIX__ARI__PASSWORD: "ari-secret",
    ITGRIX__HTTP__ADMINPASSWORD: "admin-secret",
    ITGRIX__HTTP__SIGNINGKEY: "a-signing-key-of-32-characters!!",
    ITGRIX__BITRIX__AUTH__WEBHOOKURL: "https://portal.example.com/rest/1/abcdef0123456789/",
    ITGRIX__BITRIX__APPLICATIONTOKEN: "0123456789abcdef",
    ITGRIX__CDR__URL: "postgres://itgrix:db-secret@127.0.0.1:5432/asterisk",
  });
  assert.ok(Object.keys(config.routing.dids).length > 0);
  assert.equal(config.numbers.withheldNumber, "0000000000");
});
