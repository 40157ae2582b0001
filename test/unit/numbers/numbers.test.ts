import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  RewriteChain,
  clientNumberNormaliser,
  normaliseClientNumber,
  rewriteChainFor,
  rewriteUserNumber,
} from "../../../core/numbers/index.ts";

const RU = { defaultRegion: "RU", rewrite: [] };

describe("normaliseClientNumber: parsing", () => {
  const cases: [string, string][] = [
    ["8 495 123-45-67", "+74951234567"],
    ["84951234567", "+74951234567"],
    ["74951234567", "+74951234567"],
    ["4951234567", "+74951234567"],
    ["+7 (916) 123-45-67", "+79161234567"],
    ["+74951234567", "+74951234567"],
    ["+44 20 7123 4567", "+442071234567"],
    ["  +1 650 253 0000 ", "+16502530000"],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} in RU → ${expected}`, () => {
      assert.equal(normaliseClientNumber(raw, RU), expected);
    });
  }

  it("keeps short and invalid numbers as digits (a leading + kept)", () => {
    assert.equal(normaliseClientNumber("101", RU), "101");
    assert.equal(normaliseClientNumber("112", RU), "112");
    assert.equal(normaliseClientNumber("12-34", RU), "1234");
    assert.equal(normaliseClientNumber("+7 (495) 123", RU), "+7495123");
  });

  it("keeps input without digits as it is (anonymous callers)", () => {
    assert.equal(normaliseClientNumber("anonymous", RU), "anonymous");
    assert.equal(normaliseClientNumber("", RU), "");
  });

  it("uses the configured region for national numbers", () => {
    assert.equal(
      normaliseClientNumber("020 7123 4567", { defaultRegion: "GB", rewrite: [] }),
      "+442071234567",
    );
    assert.equal(
      normaliseClientNumber("020 7123 4567", { defaultRegion: "gb", rewrite: [] }),
      "+442071234567",
    );
  });
});

describe("normaliseClientNumber: rewrite rules", () => {
  it("applies a matching rule after parsing", () => {
    const rewrite = [{ pattern: "^\\+7(\\d{10})$", replacement: "8$1" }];
    assert.equal(normaliseClientNumber("+7 495 123-45-67", { defaultRegion: "RU", rewrite }), "84951234567");
  });

  it("rules apply in order and the chain continues with the rewritten value", () => {
    const rewrite = [
      { pattern: "^\\+7", replacement: "8" },
      { pattern: "^8495", replacement: "495" },
      { pattern: "^nomatch$", replacement: "x" },
    ];
    assert.equal(normaliseClientNumber("+74951234567", { defaultRegion: "RU", rewrite }), "4951234567");
  });

  it("a bound normaliser compiles the rules once and gives the same answers", () => {
    const normalise = clientNumberNormaliser({
      defaultRegion: "RU",
      rewrite: [{ pattern: "^\\+", replacement: "" }],
    });
    assert.equal(normalise("8 495 123-45-67"), "74951234567");
    assert.equal(normalise("101"), "101");
  });
});

describe("rewriteUserNumber", () => {
  const rules = [{ pattern: "^123(\\d{4})$", replacement: "$1" }];

  it("turns a prefixed extension into a Bitrix24 inner number", () => {
    assert.equal(rewriteUserNumber("1230101", rules), "0101");
    assert.equal(rewriteUserNumber("1239999", rules), "9999");
  });

  it("leaves extensions no rule matches unchanged (no phone-number parsing)", () => {
    assert.equal(rewriteUserNumber("101", rules), "101");
    assert.equal(rewriteUserNumber("12301010", rules), "12301010");
    assert.equal(rewriteUserNumber("84951234567", []), "84951234567");
  });
});

describe("rewriteChainFor", () => {
  it("compiles a rule list once and passes a compiled chain through", () => {
    const rules = [{ pattern: "a", replacement: "b" }];
    const chain = rewriteChainFor(rules);
    assert.equal(rewriteChainFor(rules), chain);
    assert.notEqual(rewriteChainFor([...rules]), chain);
    const own = new RewriteChain(rules);
    assert.equal(rewriteChainFor(own), own);
    assert.equal(own.apply("aa"), "ba"); // without the g flag only the first match is replaced
  });
});
