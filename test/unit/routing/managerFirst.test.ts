/** Manager-first routing: the pure decision and the parsing of searchCrmEntities. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideManagerFirst, type ManagerFirstInput } from "../../../app/routing/managerFirst.ts";
import { managerFromSearch, type ManagerLookup } from "../../../core/crmLookup/protocol.ts";

const input: ManagerFirstInput = {
  operators: ["101", "102", "1230103"],
  // numbers.userRewrite `^123(\d{4})$` → `$1`-like: 1230103 is 0103 in the CRM
  crmNumberOf: (ext) => ext.replace(/^123(\d{4})$/, "$1"),
  respectWorkTime: true,
};
const answer = (lookup: ManagerLookup) => ({ kind: "answer" as const, lookup });
const manager = (extra: Partial<ManagerLookup> = {}): ManagerLookup => ({
  found: true,
  userId: 3,
  inner: "102",
  workStatus: "OPENED",
  ...extra,
});

describe("decideManagerFirst", () => {
  it("rings the manager's extension when the manager is an operator at work", () => {
    assert.deepEqual(decideManagerFirst(answer(manager()), input), {
      ring: true,
      extension: "102",
      userId: 3,
    });
  });

  it("matches the CRM number through the user rewrite", () => {
    assert.deepEqual(decideManagerFirst(answer(manager({ inner: "0103" })), input), {
      ring: true,
      extension: "1230103",
      userId: 3,
    });
  });

  it("a lookup that timed out or failed rings the group at once", () => {
    assert.deepEqual(decideManagerFirst({ kind: "timeout" }, input), {
      ring: false,
      reason: "lookupTimeout",
    });
    assert.deepEqual(decideManagerFirst({ kind: "error" }, input), { ring: false, reason: "lookupFailed" });
  });

  it("no entity, no extension, or a manager who is not an operator: the group", () => {
    assert.equal(decideManagerFirst(answer({ found: false }), input).ring, false);
    assert.deepEqual(decideManagerFirst(answer(manager({ inner: undefined })), input), {
      ring: false,
      reason: "noExtension",
    });
    assert.deepEqual(decideManagerFirst(answer(manager({ inner: "555" })), input), {
      ring: false,
      reason: "notOperator",
    });
  });

  it("a closed, paused or expired work day skips the manager unless work time is ignored", () => {
    for (const workStatus of ["CLOSED", "PAUSED", "EXPIRED"]) {
      assert.deepEqual(decideManagerFirst(answer(manager({ workStatus })), input), {
        ring: false,
        reason: "offWork",
      });
      const ignoring = decideManagerFirst(answer(manager({ workStatus })), {
        ...input,
        respectWorkTime: false,
      });
      assert.equal(ignoring.ring, true, workStatus);
    }
    for (const workStatus of ["OPENED", "UNAVAILABLE", "NOT_INSTALLED", undefined]) {
      assert.equal(decideManagerFirst(answer(manager({ workStatus })), input).ring, true, String(workStatus));
    }
  });
});

describe("managerFromSearch", () => {
  it("takes the first entity with a responsible user", () => {
    const result = [
      { CRM_ENTITY_TYPE: "CONTACT", CRM_ENTITY_ID: 10, ASSIGNED_BY_ID: null, ASSIGNED_BY: null },
      {
        CRM_ENTITY_TYPE: "COMPANY",
        CRM_ENTITY_ID: "20",
        ASSIGNED_BY_ID: "7",
        ASSIGNED_BY: { ID: "7", TIMEMAN_STATUS: "OPENED", USER_PHONE_INNER: " 106 " },
      },
    ];
    assert.deepEqual(managerFromSearch(result), {
      found: true,
      userId: 7,
      inner: "106",
      workStatus: "OPENED",
      entityType: "COMPANY",
      entityId: 20,
    });
  });

  it("nothing usable is not found", () => {
    for (const result of [[], null, {}, "x", [{ ASSIGNED_BY_ID: 0 }], [null]]) {
      assert.deepEqual(managerFromSearch(result), { found: false }, JSON.stringify(result));
    }
  });
});
