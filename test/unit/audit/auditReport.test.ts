import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  auditPeriod,
  newReport,
  noteFound,
  noteNeedsPerson,
  noteRepaired,
  REPORT_LIST_LIMIT,
  summariseReport,
} from "../../../core/audit/auditReport.ts";
import type { AuditFinding } from "../../../core/audit/compareCall.ts";
import { errorTypes, isErrorCounter } from "../../../core/metrics/errorStats.ts";
import { auditProblems } from "../../../core/status/statusReport.ts";

const finding = (callId: string): AuditFinding => ({
  callId,
  problem: "missing",
  detail: "no journal",
  repairable: true,
  startedAt: "2025-03-03T10:00:00.000Z",
  clientNumber: "1",
});
const base = () =>
  newReport({
    id: "a-20250303100000-00000000",
    trigger: "request",
    period: { from: "2025-03-02T03:45:00.000Z", to: "2025-03-03T03:45:00.000Z" },
    startedAt: "2025-03-03T04:00:00.000Z",
  });

describe("the audit report", () => {
  it("counts everything and caps the lists", () => {
    const r = base();
    for (let i = 0; i < REPORT_LIST_LIMIT + 5; i++) noteFound(r, finding(`c.${i}`));
    noteRepaired(r, { callId: "c.1", problem: "missing", action: "reprocessed" });
    noteNeedsPerson(r, finding("c.2"), "doubled");
    assert.equal(r.counts.found.missing, REPORT_LIST_LIMIT + 5);
    assert.equal(r.found.length, REPORT_LIST_LIMIT);
    const s = summariseReport({ ...r, state: "done" });
    assert.deepEqual([s.found, s.repaired, s.needsPerson, s.state], [REPORT_LIST_LIMIT + 5, 1, 1, "done"]);
  });

  it("the scheduled period ends settleMinutes ago and lasts periodHours", () => {
    assert.deepEqual(auditPeriod(new Date("2025-03-03T04:00:00Z"), 24, 15), {
      from: "2025-03-02T03:45:00.000Z",
      to: "2025-03-03T03:45:00.000Z",
    });
  });

  it("/status warns when the last audit left calls for a person or failed, not when it is clean", () => {
    const clean = summariseReport({ ...base(), state: "done" });
    assert.deepEqual(auditProblems(clean), []);
    const r = base();
    noteNeedsPerson(r, finding("c.9"), "doubled");
    assert.match(
      auditProblems(summariseReport({ ...r, state: "done" }))[0]!,
      /1 call\(s\) that need a person/,
    );
    assert.match(auditProblems({ ...clean, state: "failed", error: "db down" })[0]!, /failed: db down/);
  });
});

describe("error statistics by type", () => {
  it("counts errors, failures and holds, not successes nor a cleared hold", () => {
    assert.deepEqual(
      [
        "errors.NETWORK",
        "calls.failed",
        "calls.held",
        "holds.INVALID_CREDENTIALS",
        "holds.cleared",
        "calls.processed",
      ].map(isErrorCounter),
      [true, true, true, true, false, false],
    );
    assert.deepEqual(
      errorTypes({ "errors.NETWORK": 2, "calls.failed": 1, "calls.processed": 9, "errors.X": 0 }),
      {
        NETWORK: 2,
        "calls.failed": 1,
      },
    );
  });
});
