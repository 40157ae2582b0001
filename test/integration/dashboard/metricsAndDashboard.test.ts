/**
 * `/metrics` and the dashboard on the whole product (real Asterisk + sipp + Redis, the app and a
 * worker, the emulator): calls change the counters, a failed call shows on the dashboard in a real
 * browser (Debian's Chromium driven by playwright-core) and its re-process button gets it into the CRM.
 * Screenshots go to test-results/dashboard/.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Counter, Registry } from "prom-client";
import { chromium, type Browser } from "playwright-core";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { publishSnapshot } from "../../../core/metrics/promSnapshots.ts";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { clientCalls, sleep } from "../e2e/expect.ts";

const DID = { a: "4951110041", b: "4951110042" };
const PASSWORD = "dashboard-test-password";
const METRICS_TOKEN = "metrics-test-token-0123456789";
const SCREENSHOTS = "test-results/dashboard";
const CHROMIUM = process.env.ITGRIX_CHROMIUM ?? "/usr/bin/chromium";

/** `name{labels} value` lines of an exposition, by series (name + labels as printed). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

const value = (m: Map<string, number>, series: string) => m.get(series) ?? 0;

describe("metrics and dashboard on real calls", () => {
  let stack: Stack;
  let browser: Browser | undefined;
  const base = () => `http://127.0.0.1:${stack.httpPort}`;
  const scrape = async (auth = `Bearer ${METRICS_TOKEN}`) => {
    const res = await fetch(`${base()}/metrics`, { headers: { authorization: auth } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };
  const admin = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` };
  const faults = (method: "POST" | "DELETE", body?: unknown) =>
    fetch(`${stack.emulator.url}/_emulator/faults`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({
      cardMode: "ring",
      groups: {
        a: { strategy: "ringall", members: [110], groupTimeoutSec: 10 },
        b: { strategy: "ringall", members: [111], groupTimeoutSec: 10 },
      },
      dids: { [DID.a]: { group: "a" }, [DID.b]: { group: "b" } },
      operators: { 110: { answerAfterMs: 500 }, 111: { answerAfterMs: 500 } },
      config: {
        http: { adminPassword: PASSWORD, metricsToken: METRICS_TOKEN },
        workers: { jobAttempts: 2, jobBackoffMs: 100 },
        bitrix: { retry: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 } },
      },
    });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await faults("DELETE").catch(() => undefined);
    await stack?.stop();
  });

  test("/metrics refuses a scraper without the admin login or the metrics token", async () => {
    assert.equal((await fetch(`${base()}/metrics`)).status, 401);
    const wrong = await fetch(`${base()}/metrics`, {
      headers: { authorization: "Bearer not-the-token-at-all" },
    });
    assert.equal(wrong.status, 401);
    await scrape(admin.authorization); // the admin login works too
  });

  test("given two answered calls, then /metrics counts them by direction and outcome with their latencies", async () => {
    const before = await scrape();
    await Promise.all([
      clientCalls({ from: "74951000041", to: DID.a, talkMs: 1000, expectAnswer: true }),
      clientCalls({ from: "74951000042", to: DID.b, talkMs: 1000, expectAnswer: true }),
    ]);
    await waitForCrmCall(stack, { phone: "74951000041" });
    await waitForCrmCall(stack, { phone: "74951000042" });
    const answered = 'itgrix_calls_total{direction="inbound",outcome="answered"}';
    let now = await scrape();
    for (let i = 0; i < 50 && value(now, answered) - value(before, answered) < 2; i++) {
      await sleep(100); // the delivered mark follows the finish by one Redis write
      now = await scrape();
    }
    const delta = (series: string) => value(now, series) - value(before, series);
    assert.equal(delta(answered), 2, "two answered inbound calls");
    assert.equal(delta('itgrix_call_results_total{result="processed"}'), 2);
    assert.equal(delta('itgrix_hangup_to_crm_seconds_count{direction="inbound"}'), 2);
    assert.ok(
      delta('itgrix_hangup_to_crm_seconds_bucket{le="30",direction="inbound"}') === 2,
      "both within 30 s",
    );
    assert.ok(delta("itgrix_card_shown_after_ring_seconds_count") >= 2, "a card popped for each call");
    assert.ok(delta("itgrix_batch_commands_count") >= 2, "batches were sent");
    assert.ok(delta('itgrix_portal_requests_total{status="200"}') >= 2, "answered portal requests");
    assert.ok(
      delta('itgrix_limiter_wait_seconds_count{lane="interactive"}') >= 1,
      "live calls wait in the interactive lane",
    );
    assert.equal(value(now, "itgrix_redis_up"), 1);
    assert.equal(value(now, "itgrix_ari_connected"), 1);
    assert.equal(value(now, "itgrix_delivery_held"), 0);
    assert.ok(now.has("itgrix_active_calls"), "gauges from /status are there");
    assert.ok(now.has('itgrix_queue_jobs{queue="lifecycle",state="waiting"}'));
  });

  test("given another worker process's snapshot in Redis, then /metrics adds its figures", async () => {
    const registry = new Registry();
    const remote = new Counter({
      name: "itgrix_errors_total",
      help: "h",
      labelNames: ["code"],
      registers: [registry],
    });
    remote.inc({ code: "REMOTE_TEST" }, 3);
    const component = "worker:remote-host:4242";
    await new Metrics(stack.redis, stack.keys).heartbeat(component); // seen, with this process's snapshot…
    await publishSnapshot(stack.redis, stack.keys, component, registry, { host: "remote-host", pid: 4242 }); // …replaced
    const now = await scrape();
    assert.equal(value(now, 'itgrix_errors_total{code="REMOTE_TEST"}'), 3);
    await stack.redis.hdel(stack.keys.heartbeats, component);
    assert.equal(
      value(await scrape(), 'itgrix_errors_total{code="REMOTE_TEST"}'),
      0,
      "a stopped worker drops out",
    );
  });

  test("given a call the portal failed, then the dashboard shows charts and the failure, and its re-process button gets the call into the CRM", async () => {
    const phone = "74951000043";
    await faults("POST", { errorRate5xx: 1 });
    await clientCalls({ from: phone, to: DID.a, talkMs: 500, expectAnswer: true });
    const callId = await waitForFailed(phone);
    await faults("DELETE");
    const m = await scrape();
    assert.ok(value(m, "itgrix_failed_calls") >= 1);
    assert.ok(
      [...m].some(([k, v]) => k.startsWith("itgrix_call_failures_total{") && v >= 1),
      "failure by code",
    );

    assert.equal((await fetch(`${base()}/dashboard/`)).status, 401, "the page needs the admin login");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    const context = await browser.newContext({
      httpCredentials: { username: "admin", password: PASSWORD },
      viewport: { width: 1280, height: 1500 },
    });
    const page = await context.newPage();
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base())) foreign.push(r.url());
    });
    const consoleErrors: string[] = [];
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.goto(`${base()}/dashboard`); // redirected to /dashboard/
    await page.waitForSelector("body[data-loaded='1']", { timeout: 15_000 });
    for (const chart of ["live", "calls", "latency", "errors"]) {
      await page.waitForSelector(`#chart-${chart}[data-rendered='1'] canvas`, { timeout: 10_000 });
    }
    const points = await page.$$eval("[data-chart]", (els) =>
      Object.fromEntries(
        els.map((e) => [e.getAttribute("data-chart"), Number(e.getAttribute("data-points"))]),
      ),
    );
    assert.ok(points.calls! >= 2, `calls per minute has the delivered calls: ${JSON.stringify(points)}`);
    assert.ok(points.latency! >= 1, `latency has a value: ${JSON.stringify(points)}`);
    assert.ok(points.errors! >= 1, `errors by type has the portal's 500s: ${JSON.stringify(points)}`);
    const row = page.locator(`tr[data-call-id="${callId}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.match(await row.innerText(), /\d{3}|[A-Z_]{4,}/, "the failure's code or reason is shown");
    // This stack has no cdr.url: the audit is off and the page says why.
    assert.equal(
      await page.locator("#audit").innerText(),
      "Self-audit is off: the audit needs Asterisk's records: set cdr.url.",
    );
    const config = await page.locator("#config").innerText();
    assert.ok(config.includes("[redacted]"), "secrets masked");
    assert.ok(!config.includes(PASSWORD) && !config.includes(METRICS_TOKEN), "no secret on the page");
    assert.ok(!config.includes("demo-webhook-secret"), "the webhook secret is masked");
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-failed-call.png`, fullPage: true });

    await row.getByRole("button", { name: "Re-process" }).click();
    await page.waitForSelector(`tr[data-call-id="${callId}"] [data-result="queued"]`, { timeout: 10_000 });
    const call = await waitForCrmCall(stack, { phone }, 30_000);
    assert.equal(call.state, "finished");
    assert.equal((await crmCallsMatching(stack, phone)).length, 1, "in the CRM exactly once");
    await page.waitForFunction(
      (id) => !document.querySelector(`tr[data-call-id="${id}"]`),
      callId,
      { timeout: 15_000 }, // the page refreshes every 5 s
    );
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-after-reprocess.png`, fullPage: true });
    assert.deepEqual(foreign, [], "every asset comes from the app");
    assert.deepEqual(consoleErrors, []);
  });

  async function waitForFailed(phone: string): Promise<string> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const res = await fetch(`${base()}/calls/failed`, { headers: admin });
      const body = (await res.json()) as { calls: { callId: string }[] };
      for (const c of body.calls) {
        const detail = (await (await fetch(`${base()}/calls/${c.callId}`, { headers: admin })).json()) as {
          state?: { clientNumber?: string };
        };
        if (detail.state?.clientNumber?.endsWith(phone.slice(-10))) return c.callId;
      }
      if (Date.now() > deadline) throw new Error(`no failed call for ${phone}: ${JSON.stringify(body)}`);
      await sleep(300);
    }
  }
});
