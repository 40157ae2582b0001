import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { recordTablesScript } from "../../../core/records/recordTables.ts";

test("the compose PostgreSQL's init script holds the connector's own table setup, unchanged", () => {
  const file = readFileSync(
    new URL("../../../deploy/postgres/initdb/10-itgrix-records.sql", import.meta.url),
    "utf8",
  );
  const sql = file.replace(/^--.*\n/gm, "").trimStart();
  assert.equal(
    sql,
    recordTablesScript({ celTable: "cel", cdrTable: "cdr" }),
    "regenerate it: npm run records-setup -- --print",
  );
});
