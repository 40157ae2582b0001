/**
 * Bad configuration is one clear line naming the file and the key: unknown keys (typos), regexes, the
 * log level, the withheld-number placeholder, and the example's placeholder secrets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../../core/config/loadConfig.ts";

/** The ConfigError `parseConfig(raw)` throws (fails the test when it does not throw one). */
function refusal(raw: unknown): ConfigError {
  try {
    parseConfig(raw, "itgrix.json");
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

function writeConfig(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "itgrix-config-")), "itgrix.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe("config: unknown keys are refused with their path", () => {
  it("crm.cardmode (a typo of cardMode) is named, with the key it may mean", () => {
    const err = refusal({ crm: { cardmode: "answer" } });
    assert.equal(err.key, "crm.cardmode");
    assert.match(err.message, /^itgrix\.json: crm\.cardmode: unknown key \(did you mean "cardMode"\?\)$/);
  });

  it("routing.group (for groups) is named", () => {
    const err = refusal({ routing: { group: { sales: { members: ["101"] } } } });
    assert.equal(err.key, "routing.group");
    assert.match(err.message, /did you mean "groups"/);
  });

  it("an unknown top-level section, and keys nobody could mean, are named without a guess", () => {
    assert.equal(refusal({ logging: { level: "info" } }).key, "logging");
    const err = refusal({ http: { totallyNew: 1 } });
    assert.equal(err.key, "http.totallyNew");
    assert.doesNotMatch(err.message, /did you mean/);
  });

  it("keys inside a group, a DID's IVR, a rewrite rule and the auth object are checked too", () => {
    const groups = { sales: { members: ["101"] } };
    assert.equal(
      refusal({ routing: { groups: { sales: { members: ["101"], ringtimeout: 5 } } } }).key,
      "routing.groups.sales.ringtimeout",
    );
    assert.equal(
      refusal({ routing: { groups, dids: { "4951": { group: "sales", ivr: { prompts: "x" } } } } }).key,
      "routing.dids.4951.ivr.prompts",
    );
    assert.equal(
      refusal({ numbers: { userRewrite: [{ pattern: "^1", replacement: "", flags: "g" }] } }).key,
      "numbers.userRewrite.0.flags",
    );
    const auth = { type: "webhook", webhookURL: "https://portal.example.com/rest/1/abc/" };
    const err = refusal({ bitrix: { auth } });
    assert.equal(err.key, "bitrix.auth.webhookURL");
    assert.match(err.message, /did you mean "webhookUrl"/);
  });

  it("every unknown key is listed in the one line, the first one is the error's key", () => {
    const err = refusal({ crm: { cardmode: "ring" }, routing: { group: {} } });
    assert.equal(err.key, "crm.cardmode");
    assert.equal(err.problems.length, 2);
    assert.match(err.message, /crm\.cardmode: .*; routing\.group: /);
  });

  it("a configuration with only known keys is accepted (records take any group or DID name)", () => {
    const config = parseConfig({
      crm: { cardMode: "answer", cardModeByUser: { "105": "off" } },
      routing: {
        groups: { "any name": { members: ["101"] } },
        dids: { "+74951234567": { group: "any name" } },
      },
      bitrix: { auth: { type: "offline", restUrl: "https://p.example.com/rest/", tokenFiles: ["/t.json"] } },
    });
    assert.equal(config.crm.cardMode, "answer");
  });
});

describe("config: regexes and the log level are checked at start", () => {
  it("a broken routing.internalPattern names the key", () => {
    const err = refusal({ routing: { internalPattern: "^(\\d{2,5}$" } });
    assert.equal(err.key, "routing.internalPattern");
    assert.match(err.message, /not a valid regular expression/);
  });

  it("a broken clientRewrite pattern names the rule", () => {
    const err = refusal({ numbers: { clientRewrite: [{ pattern: "^+7", replacement: "8" }] } });
    assert.equal(err.key, "numbers.clientRewrite.0.pattern");
  });

  it("an unknown log level is refused; pino's levels (and silent) are accepted", () => {
    assert.equal(refusal({ log: { level: "verbose" } }).key, "log.level");
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      assert.equal(parseConfig({ log: { level } }).log.level, level);
  });
});

describe("config: numbers.withheldNumber", () => {
  it("defaults to 0000000000", () => {
    assert.equal(parseConfig({}).numbers.withheldNumber, "0000000000");
  });

  it("refuses what the portal refuses or changes, inner-number look-alikes and overlong values", () => {
    for (const bad of ["anonymous", "", "0", "+7 (495) 000", "101", "9999", "1".repeat(21)]) {
      assert.equal(refusal({ numbers: { withheldNumber: bad } }).key, "numbers.withheldNumber", bad);
    }
    assert.equal(
      parseConfig({ numbers: { withheldNumber: "+70000000000" } }).numbers.withheldNumber,
      "+70000000000",
    );
  });
});

describe("config: the example's placeholder secrets are refused", () => {
  const example = new URL("../../../config/itgrix.example.json", import.meta.url).pathname;

  it("loading the example as it is names the file and every placeholder key", () => {
    assert.throws(
      () => loadConfig(example, {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.key, "ari.password");
        assert.ok(err.message.startsWith(`${example}: `), err.message);
        for (const key of [
          "ari.password",
          "http.adminPassword",
          "http.signingKey",
          "bitrix.auth.webhookUrl",
          "bitrix.applicationToken",
        ])
          assert.ok(err.message.includes(key), `${key} in ${err.message}`);
        assert.ok(!err.message.includes("\n"));
        return true;
      },
    );
  });

  it("a placeholder left in any value is refused, whatever the key", () => {
    assert.equal(refusal({ redis: { url: "redis://:change-me@127.0.0.1:6379" } }).key, "redis.url");
  });

  it("the tests' and the demo's own configurations (no placeholder) are accepted", () => {
    assert.equal(
      parseConfig({ ari: { password: "itgrix" }, http: { adminPassword: "s3cret" } }).ari.password,
      "itgrix",
    );
  });
});

describe("config: the error names the file and the key", () => {
  it("a bad value in a file: `<file>: <key>: <problem>`", () => {
    const file = writeConfig({ bitrix: { plan: "gold" } });
    assert.throws(
      () => loadConfig(file, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.key === "bitrix.plan" &&
        err.message.startsWith(`${file}: bitrix.plan: `),
    );
  });

  it("a file that is JSON but not an object names the file", () => {
    const file = writeConfig([1, 2]);
    assert.throws(
      () => loadConfig(file, {}),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(file),
    );
  });
});
