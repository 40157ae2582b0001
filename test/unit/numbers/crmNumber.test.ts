/**
 * Every caller reaches the CRM: the number register gets is always one the portal accepts — withheld
 * caller ids in every spelling become the placeholder, non-ASCII digits are read, absurd lengths are
 * cut to what the portal keeps, and a number the portal refused once is replaced.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  asciiDigits,
  crmClientNumber,
  DEFAULT_WITHHELD_NUMBER,
  isPhoneNumberRefusal,
  PORTAL_PHONE_MAX_LENGTH,
  portalAcceptsPhoneNumber,
  portalStrip,
  type CrmNumberOptions,
} from "../../../core/numbers/index.ts";

const RU: CrmNumberOptions = { defaultRegion: "RU", rewrite: [], withheldNumber: DEFAULT_WITHHELD_NUMBER };

describe("asciiDigits", () => {
  const cases: [string, string, string][] = [
    ["Arabic-Indic", "٨٤٩٥١٢٣٤٥٦٧", "84951234567"],
    ["Extended Arabic-Indic (Persian)", "۸۴۹۵۱۲۳۴۵۶۷", "84951234567"],
    ["Devanagari", "+७ ४९५ १२३", "+7 495 123"],
    ["Bengali", "০১২৩৪৫৬৭৮৯", "0123456789"],
    ["fullwidth, with a fullwidth plus", "＋７（４９５）１２３", "+7(495)123"],
    ["mathematical bold and double-struck (adjacent runs)", "𝟎𝟗𝟘𝟡𝟿", "09099"],
    ["ASCII stays as it is", "+7 (495) 123-45-67", "+7 (495) 123-45-67"],
    ["letters stay as they are", "anonymous Аноним", "anonymous Аноним"],
  ];
  for (const [what, raw, expected] of cases) it(what, () => assert.equal(asciiDigits(raw), expected));
});

describe("portal rule: what register accepts", () => {
  it("keeps ASCII 0-9 # * + , ; only", () => {
    assert.equal(portalStrip("+7 (495) 123-45-67 ext.5"), "+749512345675");
    assert.equal(portalStrip("*#,;"), "*#,;");
    assert.equal(portalStrip("٠١٢"), "");
  });

  it("refuses an empty result and 0, accepts anything else left", () => {
    for (const refused of ["", "anonymous", "0", " 0 ", "٠١٢", "-"])
      assert.equal(portalAcceptsPhoneNumber(refused), false, refused);
    for (const accepted of ["+", "00", "1", "*", "+74951234567"])
      assert.equal(portalAcceptsPhoneNumber(accepted), true, accepted);
  });

  it("recognises the portal's refusal", () => {
    assert.equal(isPhoneNumberRefusal("Unsupported phone number format"), true);
    assert.equal(isPhoneNumberRefusal("ERROR_CORE: unsupported phone number format"), true);
    assert.equal(isPhoneNumberRefusal("User is not found or is not active"), false);
  });
});

describe("crmClientNumber: withheld callers get the placeholder", () => {
  const spellings = [
    "anonymous",
    "Anonymous",
    "ANONYMOUS",
    "restricted",
    "Restricted",
    "unknown",
    "Unknown",
    "unavailable",
    "Unavailable",
    "private",
    "Private",
    "withheld",
    "Withheld",
    "",
    "   ",
    "s",
    "+",
    "-",
    "()",
    "Anonymous <>",
    "\u200b",
    "Аноним",
    "非通知",
  ];
  for (const raw of spellings) {
    it(JSON.stringify(raw), () => {
      assert.deepEqual(crmClientNumber(raw, RU), { number: "0000000000", kind: "withheld" });
    });
  }

  it("uses the configured placeholder", () => {
    const options = { ...RU, withheldNumber: "+70000000000" };
    assert.equal(crmClientNumber("anonymous", options).number, "+70000000000");
  });

  it("the placeholder skips the rewrite rules (the admin wrote it as the CRM must get it)", () => {
    const options = { ...RU, rewrite: [{ pattern: "^0+$", replacement: "x" }] };
    assert.equal(crmClientNumber("anonymous", options).number, "0000000000");
  });
});

describe("crmClientNumber: real numbers", () => {
  it("are normalised as before (E.164 when valid, digits when short)", () => {
    assert.deepEqual(crmClientNumber("8 495 123-45-67", RU), { number: "+74951234567", kind: "number" });
    assert.deepEqual(crmClientNumber("101", RU), { number: "101", kind: "number" });
    assert.deepEqual(crmClientNumber("112", RU), { number: "112", kind: "number" });
  });

  it("non-ASCII digits are read: Arabic-Indic, Persian, fullwidth", () => {
    for (const raw of ["٨٤٩٥١٢٣٤٥٦٧", "۸۴۹۵۱۲۳۴۵۶۷", "＋７ ４９５ １２３-４５-６７"])
      assert.deepEqual(crmClientNumber(raw, RU), { number: "+74951234567", kind: "number" }, raw);
  });

  it("what the rewrite rules leave is stripped as the portal strips it", () => {
    const options = { ...RU, rewrite: [{ pattern: "^\\+7(\\d{3})(\\d{7})$", replacement: "8 ($1) $2" }] };
    assert.deepEqual(crmClientNumber("+74951234567", options), { number: "84951234567", kind: "number" });
  });

  it("rules that leave nothing the portal accepts give the placeholder", () => {
    for (const replacement of ["", "0", "none"]) {
      const options = { ...RU, rewrite: [{ pattern: "^.*$", replacement }] };
      assert.deepEqual(
        crmClientNumber("+74951234567", options),
        { number: "0000000000", kind: "unusable" },
        replacement,
      );
    }
  });
});

describe("crmClientNumber: absurd lengths", () => {
  it("are cut to the portal's 20 characters, the part the portal itself would keep", () => {
    const raw = "1234567890".repeat(4);
    assert.deepEqual(crmClientNumber(raw, RU), { number: raw.slice(0, 20), kind: "capped" });
    assert.equal(crmClientNumber(`+${"9".repeat(40)}`, RU).number, `+${"9".repeat(19)}`);
  });

  it("a 100 000-character caller id is cut too", () => {
    assert.deepEqual(crmClientNumber("7".repeat(100_000), RU), { number: "7".repeat(20), kind: "capped" });
  });

  it("20 characters are kept whole", () => {
    const raw = "1".repeat(20);
    assert.deepEqual(crmClientNumber(raw, RU), { number: raw, kind: "number" });
  });
});

describe("crmClientNumber: a number the portal refused", () => {
  it("is replaced by the placeholder on the next register", () => {
    assert.deepEqual(crmClientNumber("+74951234567", { ...RU, refused: "+74951234567" }), {
      number: "0000000000",
      kind: "refused",
    });
  });

  it("another refused number does not change this one", () => {
    assert.equal(crmClientNumber("+74951234567", { ...RU, refused: "+70000000001" }).number, "+74951234567");
  });
});

describe("crmClientNumber: whatever the caller id, the portal accepts the result", () => {
  it("2000 random caller ids of letters, digits of several scripts, symbols and spaces", () => {
    const alphabet = [..."0123456789+-() #*,;abcsAZ٠٣٩۷०९０９𝟗\u200bАя非", "anonymous", "Restricted"];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 60);
      let raw = "";
      for (let j = 0; j < length; j++) raw += alphabet[Math.floor(random() * alphabet.length)];
      const { number } = crmClientNumber(raw, RU);
      assert.ok(portalAcceptsPhoneNumber(number), `${JSON.stringify(raw)} → ${JSON.stringify(number)}`);
      assert.equal(portalStrip(number), number, `${JSON.stringify(raw)} → sent as the portal keeps it`);
      assert.ok(number.length <= PORTAL_PHONE_MAX_LENGTH, `${JSON.stringify(raw)} → ${number}`);
    }
  });
});
