/** The rebuild on incomplete, shuffled or odd records, the table setup, and recordings named in CDR. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { rebuildCall, type RebuildOptions } from "../../../core/records/buildCall.ts";
import type { CallRecords, CdrRow } from "../../../core/records/callRecords.ts";
import { parseChannelName } from "../../../core/records/callChannels.ts";
import { recordingOf } from "../../../core/records/recordingFile.ts";
import { quotedTable, recordTablesSql } from "../../../core/records/recordTables.ts";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/cel");
const records = (name: string) =>
  (JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as { records: CallRecords }).records;

const OPTIONS: RebuildOptions = {
  app: "itgrix",
  operators: new Set(["101", "102", "103", "109", "110", "112"]),
  internalPattern: /^\d{2,5}$/,
  outboundLine: "trunk",
  recordingFormat: "wav",
  spoolDir: "/var/spool/asterisk/recording",
};

describe("rebuild edge cases", () => {
  test("no rows: nothing to rebuild", () => {
    assert.equal(rebuildCall({ linkedId: "1.1", cel: [], cdr: [] }, OPTIONS), undefined);
  });

  test("rows in any order give the same call (sorted by time, then id)", () => {
    const call = records("blind-transfer");
    const shuffled = { ...call, cel: [...call.cel].reverse() };
    assert.deepEqual(rebuildCall(shuffled, OPTIONS)?.state, rebuildCall(call, OPTIONS)?.state);
  });

  test("without LINKEDID_END the call is not complete (Asterisk still has it)", () => {
    const call = records("ringall-busy-noanswer-answered");
    const going = { ...call, cel: call.cel.filter((r) => r.eventType !== "LINKEDID_END") };
    assert.equal(rebuildCall(going, OPTIONS)?.complete, false);
    assert.equal(rebuildCall(call, OPTIONS)?.complete, true);
  });

  test("unknown event types and unreadable extra fields are ignored, not fatal", () => {
    const call = records("ringall-busy-noanswer-answered");
    const odd = {
      ...call,
      cel: call.cel
        .map((r, i) => (i === 3 ? { ...r, extra: "{not json" } : r))
        .concat({
          ...call.cel[0]!,
          id: 999_999,
          eventType: "SOMETHING_NEW",
        }),
    };
    const rebuilt = rebuildCall(odd, OPTIONS);
    assert.ok(rebuilt);
    assert.equal(rebuilt.state.conversations.length, 1);
  });

  test("a scoped call id names the call; the app's bridge recording is looked up by it", () => {
    const call = records("outbound-answered");
    const scoped = rebuildCall(call, { ...OPTIONS, callId: `pbx1-${call.linkedId}` });
    assert.equal(scoped?.state.callId, `pbx1-${call.linkedId}`);
    assert.equal(scoped?.state.recording, undefined, "the bridge itgrix-<linkedid> is not the scoped call's");
    assert.equal(rebuildCall(call, OPTIONS)?.state.recording?.file, `itgrix/${call.linkedId}.wav`);
  });
});

describe("recordings a dialplan names in CDR(userfield)", () => {
  const cdr = (userField: string): CdrRow[] => [
    {
      src: "", dst: "", dcontext: "", channel: "", dstChannel: "", lastApp: "", lastData: "", duration: 0,
      billsec: 0, disposition: "ANSWERED", userField, uniqueId: "1.1", linkedId: "1.1", sequence: 0,
    }, // prettier-ignore
  ];
  const opts = { callId: "1.1", recordingFormat: "wav", spoolDir: "/var/spool/asterisk/recording" };
  test("a path inside the spool, absolute or relative, is taken relative to it", () => {
    assert.deepEqual(recordingOf([], cdr("/var/spool/asterisk/recording/2025/03/01/1.1.mp3"), opts), {
      name: "2025/03/01/1.1",
      format: "mp3",
      file: "2025/03/01/1.1.mp3",
    });
    assert.equal(recordingOf([], cdr("monitor/1.1.wav"), opts)?.file, "monitor/1.1.wav");
  });
  test("a path outside the spool, or no recording, gives none", () => {
    assert.equal(recordingOf([], cdr("/etc/passwd.wav"), opts), undefined);
    assert.equal(recordingOf([], cdr("customer=42"), opts), undefined);
  });
});

describe("record tables and channel names", () => {
  test("table names are quoted identifiers; anything else is refused", () => {
    assert.equal(quotedTable("cel"), '"cel"');
    assert.equal(quotedTable("asterisk.cel"), '"asterisk"."cel"');
    for (const bad of ["cel;drop table x", 'cel"', "a.b.c", ""]) assert.throws(() => quotedTable(bad));
    const sql = recordTablesSql({ celTable: "pbx.cel_log", cdrTable: "cdr" }).join("\n");
    assert.match(sql, /CREATE TABLE IF NOT EXISTS "pbx"\."cel_log"/);
    assert.match(sql, /CREATE INDEX IF NOT EXISTS "cel_log_linkedid_idx" ON "pbx"\."cel_log" \(linkedid\)/);
  });
  test("endpoints of channel names", () => {
    assert.deepEqual(parseChannelName("PJSIP/101-0000002a"), { tech: "PJSIP", endpoint: "101" });
    assert.deepEqual(parseChannelName("PJSIP/my-trunk-0000002a"), { tech: "PJSIP", endpoint: "my-trunk" });
    assert.deepEqual(parseChannelName("Local/110@itgrix-transfer-00000006;1"), {
      tech: "Local",
      endpoint: "110@itgrix-transfer-00000006;1",
    });
  });
});
