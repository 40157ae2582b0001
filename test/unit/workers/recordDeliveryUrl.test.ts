import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../../core/config/loadConfig.ts";
import { verifyRecordingLink } from "../../../core/recordings/signedLink.ts";
import { spoolFileFromUrlPath } from "../../../core/recordings/spoolPath.ts";
import { applyAnswers, recordFetchMayRecover } from "../../../workers/calls/applyAnswers.ts";
import { METHOD } from "../../../workers/calls/commands.ts";
import { emptyJournal, type StepJournal } from "../../../workers/calls/journal.ts";
import { plannedGroup } from "../../../workers/calls/plan.ts";
import { planSteps } from "../../../workers/calls/planSteps.ts";
import { Timeline, config, directory } from "./callBuilder.ts";

const CALL = "1741000000.42";
const BX = "externalCall.abc.1741000000";
const KEY = "bench-signing-key-0123456789";
const NOW = new Date(Date.UTC(2026, 2, 7, 10, 0, 0));

function finished(): StepJournal {
  return {
    ...emptyJournal(CALL),
    bxCallId: BX,
    registeredFor: 2,
    register: { intentAt: "t", doneAt: "t" },
    finish: { intentAt: "t", doneAt: "t", statusCode: "200", duration: 20, userId: 3 },
  };
}

const recorded = (file: string) =>
  new Timeline().dial(1, "101", "102").answer(5, "102").recording(5, file).end(25).state();

const urlConfig = (http: Record<string, unknown> = {}) =>
  config({
    crm: { recordDelivery: "url" },
    http: { publicUrl: "https://pbx.example:8077", signingKey: KEY, recordLinkTtlSec: 600, ...http },
  });

describe('crm.recordDelivery "url"', async () => {
  it("given a finished call with a wav, then one bulk attachRecord with a signed RECORD_URL and FILENAME", async () => {
    const file = "itgrix/1741000000.42.wav";
    const plan = await planSteps(recorded(file), finished(), directory, urlConfig(), { now: NOW });
    assert.equal(plan.kind, "send");
    const group = plan.kind === "send" ? plan.groups[0]! : undefined!;
    assert.equal(plan.kind === "send" && plan.groups.length, 1);
    assert.equal(group.lane, "bulk");
    assert.equal(group.commands.length, 1);
    const { method, params } = group.commands[0]!;
    assert.equal(method, METHOD.attachRecord);
    assert.equal(params.CALL_ID, BX);
    assert.equal(params.FILENAME, "1741000000.42.wav");
    const url = new URL(String(params.RECORD_URL));
    assert.equal(url.origin, "https://pbx.example:8077");
    const path = spoolFileFromUrlPath(url.pathname.slice("/recordings/".length));
    assert.deepEqual(path, { ok: true, file });
    assert.equal(Number(url.searchParams.get("exp")), NOW.getTime() / 1000 + 600);
    const verdict = verifyRecordingLink({
      key: KEY,
      file,
      exp: url.searchParams.get("exp"),
      sig: url.searchParams.get("sig"),
      nowMs: NOW.getTime(),
    });
    assert.deepEqual(verdict, { ok: true });
  });

  it("given the same call planned twice at the same time, then the link is the same (pure)", async () => {
    const a = await planSteps(recorded("itgrix/x.wav"), finished(), directory, urlConfig(), { now: NOW });
    const b = await planSteps(recorded("itgrix/x.wav"), finished(), directory, urlConfig(), { now: NOW });
    assert.deepEqual(a, b);
  });

  it("given a recording path that leaves the spool, then the recording is skipped, nothing is signed", async () => {
    const plan = await planSteps(recorded("../../etc/x.wav"), finished(), directory, urlConfig(), {
      now: NOW,
    });
    assert.equal(plan.kind, "recordSkip");
    assert.match(plan.kind === "recordSkip" ? plan.reason : "", /not inside the spool/);
  });

  it("given url mode without http.publicUrl or http.signingKey, then the configuration names the key", async () => {
    for (const [http, key] of [
      [{ signingKey: KEY }, "http.publicUrl"],
      [{ publicUrl: "https://pbx" }, "http.signingKey"],
    ] as const) {
      assert.throws(
        () => parseConfig({ crm: { recordDelivery: "url" }, http }),
        (err: unknown) => err instanceof ConfigError && err.key === key && /recordDelivery/.test(err.message),
      );
    }
    assert.equal(urlConfig().http.recordLinkTtlSec, 600);
    assert.equal(config().http.recordLinkTtlSec, 24 * 3600);
  });

  it("given the portal could not fetch the link (0, 5xx), then the record step is retried; 403/404 fail it", async () => {
    const error = (n: number) => ({
      code: "ERROR_CORE",
      description: `Server returns HTTP error code ${n}`,
      retryable: false,
    });
    assert.equal(recordFetchMayRecover(error(0)), true);
    assert.equal(recordFetchMayRecover(error(502)), true);
    assert.equal(recordFetchMayRecover(error(403)), false);
    assert.equal(recordFetchMayRecover(error(404)), false);
    const group = plannedGroup(CALL, "bulk", [
      { method: METHOD.attachRecord, params: { CALL_ID: BX, RECORD_URL: "u", FILENAME: "x.wav" } },
    ]);
    const down = applyAnswers(finished(), group, [{ ok: false, error: error(0) }], "t");
    assert.equal(down.retryable?.retryable, true);
    assert.equal(down.failure, undefined);
    const refused = applyAnswers(finished(), group, [{ ok: false, error: error(403) }], "t");
    assert.equal(refused.failure?.step, "record");
  });
});
