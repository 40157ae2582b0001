/**
 * Caller ids arrive in whatever script the trunk or the caller's phone uses: Arabic-Indic (`٧٤٩٥…`),
 * Persian (`۷۴۹۵…`), Devanagari, fullwidth (`７４９５…`), mathematical digits… The portal keeps only
 * ASCII `[0-9#*+,;]` (`CVoxImplantPhone::stripLetters`), so such a number would reach it empty. Here
 * every decimal digit becomes its ASCII digit before anything else looks at the number.
 */

const DECIMAL_DIGIT = /\p{Nd}/u;
const NON_ASCII = /\P{ASCII}/u;

/**
 * `text` with every Unicode decimal digit (category Nd) as its ASCII digit, after NFKC (which also
 * turns a fullwidth `＋` into `+`). Everything else is left as it is.
 */
export function asciiDigits(text: string): string {
  const folded = text.normalize("NFKC");
  if (!NON_ASCII.test(folded)) return folded;
  let out = "";
  for (const char of folded) {
    const code = char.codePointAt(0)!;
    out += code > 0x7f && DECIMAL_DIGIT.test(char) ? String(digitValue(code)) : char;
  }
  return out;
}

/**
 * Unicode encodes decimal digits in runs of ten, 0 to 9, and adjacent runs (the mathematical
 * digits) start each at a zero; so the value is the distance from the start of the contiguous block,
 * modulo 10. No table to keep in step with Node's Unicode version.
 */
function digitValue(code: number): number {
  let start = code;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (code - start) % 10;
}
