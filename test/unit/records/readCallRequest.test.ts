import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseReadCallRequest } from "../../../app/reprocessing/readCallRequest.ts";

const parse = (query: Record<string, unknown>, body?: unknown) => parseReadCallRequest(query, body, 5);

describe("/pbx/read_call parameters", () => {
  test("ids: repeated, comma-separated or POSTed; duplicates once; server-scoped ids allowed", () => {
    assert.deepEqual(parse({ id: ["1712.1", "1712.2,1712.3", "1712.1"] }), {
      ok: true,
      request: { kind: "ids", ids: ["1712.1", "1712.2", "1712.3"] },
    });
    assert.deepEqual(parse({}, ["pbx1-1712.4"]), {
      ok: true,
      request: { kind: "ids", ids: ["pbx1-1712.4"] },
    });
    assert.deepEqual(parse({}, { id: "1712.5" }), { ok: true, request: { kind: "ids", ids: ["1712.5"] } });
  });

  test("dates with a zone, or whole days (UTC), become UTC instants; the range must be forward", () => {
    assert.deepEqual(parse({ start_date: "2025-03-01T12:00+03:00", end_date: "2025-03-02" }), {
      ok: true,
      request: { kind: "range", from: "2025-03-01T09:00:00.000Z", to: "2025-03-02T00:00:00.000Z" },
    });
    const backwards = parse({ start_date: "2025-03-02", end_date: "2025-03-01" });
    assert.deepEqual(backwards.ok ? undefined : backwards.parameter, "end_date");
  });

  test("each mistake names its parameter", () => {
    const cases: [Record<string, unknown>, unknown, string][] = [
      [{}, undefined, "id"],
      [{ id: "" }, undefined, "id"],
      [{ id: "a b" }, undefined, "id"],
      [{ id: "x".repeat(151) }, undefined, "id"],
      [{ id: ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"] }, undefined, "id"],
      [{ id: "1.1", end_date: "2025-01-01" }, undefined, "id"],
      [{ start_date: "2025-01-01T10:00:00", end_date: "2025-01-02" }, undefined, "start_date"],
      [{ start_date: "2025-04-31", end_date: "2025-05-02" }, undefined, "start_date"],
      [{ start_date: ["2025-01-01", "2025-01-02"], end_date: "2025-05-02" }, undefined, "start_date"],
      [{ start_date: "2025-01-01" }, undefined, "end_date"],
      [{}, 42, "body"],
      [{}, { start: "2025-01-01" }, "body"],
    ];
    for (const [query, body, parameter] of cases) {
      const parsed = parse(query, body);
      assert.equal(parsed.ok, false, JSON.stringify([query, body]));
      if (!parsed.ok) {
        assert.equal(parsed.parameter, parameter, JSON.stringify([query, body, parsed]));
        assert.ok(parsed.error.startsWith(`${parameter}:`), parsed.error);
      }
    }
  });
});
