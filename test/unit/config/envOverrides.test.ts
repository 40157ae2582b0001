/**
 * ITGRIX__* overrides follow the schema's type at their path: string fields stay strings, numbers
 * and booleans are converted, objects and arrays are JSON; a name the schema does not know is refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { applyEnvOverrides, ConfigError, loadConfig, parseConfig } from "../../../core/config/loadConfig.ts";

const load = (env: Record<string, string>, raw: Record<string, unknown> = {}) =>
  parseConfig(applyEnvOverrides(raw, env));

describe("env overrides: the schema's type decides", () => {
  it('ITGRIX__HTTP__ADMINPASSWORD=12345678 is the string "12345678"', () => {
    assert.equal(load({ ITGRIX__HTTP__ADMINPASSWORD: "12345678" }).http.adminPassword, "12345678");
  });

  it("string fields keep values that look like JSON: true, null, 007, [x], {x}", () => {
    const config = load({
      ITGRIX__ARI__PASSWORD: "true",
      ITGRIX__ARI__USER: "null",
      ITGRIX__HTTP__ADMINUSER: "007",
      ITGRIX__REDIS__PREFIX: "[x]",
      ITGRIX__BITRIX__APPLICATIONTOKEN: "{x}",
    });
    assert.equal(config.ari.password, "true");
    assert.equal(config.ari.user, "null");
    assert.equal(config.http.adminUser, "007");
    assert.equal(config.redis.prefix, "[x]");
    assert.equal(config.bitrix.applicationToken, "{x}");
  });

  it("a digits-only string keeps its leading zeros (numbers.withheldNumber=0000000000)", () => {
    assert.equal(
      load({ ITGRIX__NUMBERS__WITHHELDNUMBER: "0000000000" }).numbers.withheldNumber,
      "0000000000",
    );
  });

  it("numbers, booleans and null are converted where the schema wants them", () => {
    const config = load({
      ITGRIX__HTTP__PORT: "9000",
      ITGRIX__HTTP__STATUSAUTH: "TRUE",
      ITGRIX__BITRIX__PARALLELBATCHES: "7",
      ITGRIX__BITRIX__RATELIMIT: "null",
    });
    assert.equal(config.http.port, 9000);
    assert.equal(config.http.statusAuth, true);
    assert.equal(config.bitrix.parallelBatches, 7);
    assert.equal(config.bitrix.rateLimit, null);
  });

  it("objects and arrays are JSON", () => {
    const config = load({
      ITGRIX__BITRIX__AUTH: '{"type":"webhook","webhookUrl":"https://p.example.com/rest/1/abc/"}',
      ITGRIX__ROUTING__OPERATORS: '["101","102"]',
      ITGRIX__BITRIX__RATELIMIT: '{"burst":10,"drainPerSec":1}',
    });
    assert.deepEqual(config.bitrix.auth, {
      type: "webhook",
      webhookUrl: "https://p.example.com/rest/1/abc/",
    });
    assert.deepEqual(config.routing.operators, ["101", "102"]);
    assert.deepEqual(config.bitrix.rateLimit, { burst: 10, drainPerSec: 1 });
  });

  it("keys inside the auth union and inside a group of the file are reached", () => {
    const raw = {
      bitrix: { auth: { type: "webhook", webhookUrl: "https://p.example.com/rest/1/old/" } },
      routing: { groups: { sales: { members: ["101"] } } },
    };
    const config = load(
      {
        ITGRIX__BITRIX__AUTH__WEBHOOKURL: "https://p.example.com/rest/1/new/",
        ITGRIX__ROUTING__GROUPS__SALES__RINGTIMEOUTSEC: "30",
      },
      raw,
    );
    assert.equal(
      config.bitrix.auth?.type === "webhook" && config.bitrix.auth.webhookUrl,
      "https://p.example.com/rest/1/new/",
    );
    assert.equal(config.routing.groups.sales?.ringTimeoutSec, 30);
    assert.equal(Object.keys(config.routing.groups).length, 1, "the file's group was found, not a new one");
  });
});

describe("env overrides: mistakes name the variable", () => {
  it("an unknown name is refused (no silent typo)", () => {
    assert.throws(
      () => applyEnvOverrides({}, { ITGRIX__CRM__CARDMOD: "ring" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.key === "crm.cardmod" &&
        err.message.startsWith("ITGRIX__CRM__CARDMOD: "),
    );
  });

  it("a value of the wrong type names the key and the variable, with the file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "itgrix-config-")), "itgrix.json");
    writeFileSync(file, "{}");
    assert.throws(
      () => loadConfig(file, { ITGRIX__HTTP__PORT: "eighty" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.key === "http.port" &&
        err.message.startsWith(`${file}: http.port: `) &&
        err.message.includes("(set by ITGRIX__HTTP__PORT)"),
    );
  });

  it("broken JSON for an object names the variable", () => {
    assert.throws(
      () => loadConfig(undefined, { ITGRIX__BITRIX__AUTH: "{type:webhook}" }),
      (err: unknown) =>
        err instanceof ConfigError && /ITGRIX__BITRIX__AUTH: not valid JSON/.test(err.message),
    );
  });

  it("other ITGRIX_ variables (one underscore) are not overrides", () => {
    assert.equal(load({ ITGRIX_CONFIG: "/x.json", ITGRIX_TESTBED: "{}" }).http.port, 8077);
  });
});
