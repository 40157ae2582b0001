import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeBrackets, parseBracketQuery } from "../../emulator/http/brackets.ts";
import { parseMultipart } from "../../emulator/http/multipart.ts";

describe("PHP bracket keys", () => {
  it("parses nested keys, [] pushes, numeric keys as lists and URL-encoded values", () => {
    const parsed = parseBracketQuery(
      "FILTER[UF_PHONE_INNER]=101&FILTER[%3EID]=1&USER_ID[]=2&USER_ID[]=3&cmd[a]=user.get%3FID%3D1&x[0][k]=v&plus=a+b",
    );
    assert.deepEqual(parsed, {
      FILTER: { UF_PHONE_INNER: "101", ">ID": "1" },
      USER_ID: ["2", "3"],
      cmd: { a: "user.get?ID=1" },
      x: [{ k: "v" }],
      plus: "a b",
    });
  });

  it("round-trips nested data as form fields with string values", () => {
    const encoded = encodeBrackets({
      event: "E",
      data: { CALL_ID: "c", LIST: [{ A: 1 }], FLAG: true },
      empty: null,
    });
    assert.deepEqual(parseBracketQuery(encoded), {
      event: "E",
      data: { CALL_ID: "c", LIST: [{ A: "1" }], FLAG: "1" },
      empty: "",
    });
  });
});

describe("multipart reader", () => {
  it("finds the file part with its name and bytes", () => {
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'),
      Buffer.from(
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="r.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n',
      ),
      Buffer.from([0, 1, 2, 13, 10, 3]),
      Buffer.from("\r\n--XyZ--\r\n"),
    ]);
    const parts = parseMultipart(body, "XyZ");
    assert.equal(parts.length, 2);
    assert.equal(parts[0]?.data.toString(), "hello");
    assert.equal(parts[1]?.filename, "r.mp3");
    assert.deepEqual([...(parts[1]?.data ?? [])], [0, 1, 2, 13, 10, 3]);
  });
});
