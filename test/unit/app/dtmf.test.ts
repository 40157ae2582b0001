import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addDigit, emptyInput, selectedExtension } from "../../../app/ivr/dtmf.ts";

describe("IVR DTMF collection", () => {
  const collect = (digits: string, max = 4) =>
    [...digits].reduce((s, d) => addDigit(s, d, max), emptyInput());

  test("# ends the input without being part of it", () => {
    assert.deepEqual(collect("10#"), { digits: "10", done: true });
  });
  test("maxDigits ends the input; later digits are ignored", () => {
    assert.deepEqual(collect("10234", 3), { digits: "102", done: true });
  });
  test("unfinished input waits for more (the digit timeout ends it)", () => {
    assert.deepEqual(collect("10"), { digits: "10", done: false });
  });
  test("letters are ignored", () => {
    assert.deepEqual(collect("1A0"), { digits: "10", done: false });
  });
  test("digits select an extension only when it is a known operator", () => {
    const ops = new Set(["101", "102"]);
    assert.equal(selectedExtension("101", ops), "101");
    assert.equal(selectedExtension("999", ops), undefined);
    assert.equal(selectedExtension("", ops), undefined);
  });
});
