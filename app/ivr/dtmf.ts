/** DTMF collection for the IVR. Pure: `#` ends the input, so does reaching `maxDigits`. */
export interface DtmfInput {
  digits: string;
  done: boolean;
}

export function emptyInput(): DtmfInput {
  return { digits: "", done: false };
}

export function addDigit(input: DtmfInput, digit: string, maxDigits: number): DtmfInput {
  if (input.done) return input;
  if (digit === "#") return { digits: input.digits, done: true };
  if (!/^[0-9*]$/.test(digit)) return input;
  const digits = input.digits + digit;
  return { digits, done: digits.length >= maxDigits };
}

/** The extension the digits select, if they name a known operator. */
export function selectedExtension(digits: string, operators: ReadonlySet<string>): string | undefined {
  return digits !== "" && operators.has(digits) ? digits : undefined;
}
