/**
 * The release tarball on a machine without network: `npm run package` and `install.sh` run in a
 * network namespace with no interface at all, into a fresh directory; then the INSTALLED app and
 * workers (`node …/current/dist/…`, no tsx, outside the repository) run against the testbed's
 * Asterisk and Redis and a sipp call reaches the emulator's CRM. Then an upgrade (config kept, a call
 * still reaches the CRM), a repeated install (nothing changes), a rollback, and an upgrade refused
 * because the kept configuration does not validate with the new code.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startEmulator, type RunningEmulator } from "../../../emulator/server.ts";
import { waitForExclusiveAri } from "../../support/e2eAriGuard.ts";
import { crmCalls, samePhone } from "../../support/e2eCrm.ts";
import { placeCall, startOperator, stopAll, type PhoneHandle } from "../../support/sipp.ts";
import { waitForCrmCall } from "../../support/stack.ts";
import { getTestbed, type TestbedInfo } from "../../support/testbed.ts";
import {
  buildTarball,
  deriveRelease,
  filesReadRelatively,
  freePort,
  run,
  runOffline,
  startInstalled,
  waitForStatus,
  type InstalledProcess,
} from "./release.ts";

const V1 = "0.0.0-offline.1";
const V2 = "0.0.0-offline.2";
const V3 = "0.0.0-offline.3";
const OPERATOR = 119;
const OPERATOR_USER_ID = 20; // emulator/seeds/callcentre.json: UF_PHONE_INNER "119"
const DID = "4951190001";

describe("ops: offline install, upgrade and rollback of the release tarball", () => {
  let tb: TestbedInfo;
  let tmp: string;
  let emulator: RunningEmulator;
  let phone: PhoneHandle;
  let unpacked: string;
  let v2Dir: string;
  let prefix: string;
  let configDir: string;
  let unitDir: string;
  let configFile: string;
  let redisPrefix: string;
  let httpPort: number;
  const running: InstalledProcess[] = [];

  const installArgs = (): string[] => [
    "--prefix",
    prefix,
    "--config-dir",
    configDir,
    "--unit-dir",
    unitDir,
    "--user",
    "root",
  ];
  const install = (dir: string, ...command: string[]) =>
    runOffline("bash", [join(dir, "install.sh"), ...command, ...installArgs()], { cwd: tmp });
  const current = (): string => readlinkSync(join(prefix, "current"));
  const history = (): string[] => readFileSync(join(prefix, "history"), "utf8").trim().split("\n");
  const logs = (): string => running.map((p) => p.output().slice(-3000)).join("\n---\n");

  const startBoth = async (): Promise<void> => {
    running.push(startInstalled(prefix, "workers", configFile, tmp));
    running.push(startInstalled(prefix, "app", configFile, tmp));
  };
  const stopAllInstalled = async (): Promise<void> => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  };

  const testConfig = (): Record<string, unknown> => ({
    ari: {
      url: tb.ari.url,
      user: tb.ari.user,
      password: tb.ari.password,
      app: tb.ari.app,
      reconnectMaxDelayMs: 1000,
    },
    redis: { url: tb.redis.url, prefix: redisPrefix },
    http: { host: "127.0.0.1", port: httpPort, adminPassword: "offline-test-admin" },
    bitrix: {
      auth: { type: "webhook", webhookUrl: `${emulator.url}/rest/1/demo-webhook-secret/` },
      plan: "box",
      batchWaitMs: 5,
      requestTimeoutMs: 5_000,
    },
    crm: { cardMode: "answer" },
    routing: {
      operators: [String(OPERATOR)],
      groups: { ops: { strategy: "ringall", members: [String(OPERATOR)], groupTimeoutSec: 10 } },
      dids: { [DID]: { group: "ops" } },
    },
    workers: { concurrency: 20 },
    log: { level: "info" },
  });

  /** A client call to the DID, answered by the operator; returns the one CRM call it made. */
  const callReachesCrm = async (from: string): Promise<void> => {
    const result = await placeCall({ from, to: DID, talkMs: 1000, expectAnswer: true });
    assert.equal(result.answered, true);
    const call = await waitForCrmCall(
      { crmCalls: () => crmCalls(emulator.url) },
      { phone: from },
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs()}`);
    });
    assert.equal(call.finish?.STATUS_CODE, "200");
    assert.equal(call.USER_ID, OPERATOR_USER_ID);
    const same = (await crmCalls(emulator.url)).filter((c) => samePhone(c.PHONE_NUMBER, from));
    assert.equal(same.length, 1, "the call is in the CRM exactly once");
  };

  before(async () => {
    tb = await getTestbed();
    tmp = mkdtempSync(join(tmpdir(), "itgrix-offline-"));
    prefix = join(tmp, "opt", "itgrix");
    configDir = join(tmp, "etc", "itgrix");
    unitDir = join(tmp, "systemd");
    configFile = join(configDir, "itgrix.json");
    redisPrefix = `t-ops-${randomUUID().slice(0, 8)}`;
    httpPort = await freePort();
    emulator = await startEmulator({ port: 0, plan: "box" });

    const built = await buildTarball(join(tmp, "out"), V1);
    process.stderr.write(`ops: package.sh (offline) ${built.ms} ms → ${built.tarball}\n`);
    const unpack = await runOffline("tar", ["-xzf", built.tarball, "-C", tmp]);
    assert.equal(unpack.code, 0, unpack.stderr);
    unpacked = join(tmp, `itgrix-${V1}`);
    v2Dir = await deriveRelease(unpacked, join(tmp, `itgrix-${V2}`), V2);
  });

  after(async () => {
    await stopAllInstalled();
    await stopAll();
    await emulator?.close();
    if (tb && redisPrefix) {
      const redis = new Redis(tb.redis.url);
      const left = await redis.keys(`${redisPrefix}:*`);
      if (left.length) await redis.del(...left);
      await redis.quit();
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("the install step really has no network: the testbed's Redis on 127.0.0.1 is out of reach", async () => {
    const port = new URL(tb.redis.url).port;
    const probe = `require("net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(1)).on("error", () => process.exit(0))`;
    assert.equal((await run(process.execPath, ["-e", probe])).code, 1, "reachable with the network on");
    assert.equal(
      (await runOffline(process.execPath, ["-e", probe])).code,
      0,
      "reachable in the offline namespace",
    );
  });

  test("the tarball holds the compiled release and production dependencies only", () => {
    for (const file of [
      "install.sh",
      "RELEASE",
      "dist/app/main.js",
      "dist/app/main.js.map",
      "dist/workers/main.js",
    ])
      assert.ok(existsSync(join(unpacked, file)), file);
    for (const file of ["systemd/itgrix-app.service", "systemd/itgrix-workers@.service"])
      assert.ok(existsSync(join(unpacked, file)), file);
    for (const file of [
      "config/itgrix.example.json",
      "dialplan/extensions_itgrix.conf",
      "ari-config/ari.conf",
    ])
      assert.ok(existsSync(join(unpacked, file)), file);
    assert.ok(existsSync(join(unpacked, "docs/admin-guide.md")), "the admin guide travels with the release");
    const modules = readdirSync(join(unpacked, "node_modules"));
    // esbuild loads customization modules at run time (core/hooks/loader/compile.ts).
    for (const runtime of ["bullmq", "ioredis", "express", "ws", "pino", "zod", "esbuild"])
      assert.ok(modules.includes(runtime), `${runtime} is a production dependency`);
    for (const dev of ["tsx", "typescript", "eslint", "prettier", "@types"])
      assert.ok(!modules.includes(dev), `${dev} is a dev dependency and must not be shipped`);
    assert.match(readFileSync(join(unpacked, "RELEASE"), "utf8"), new RegExp(`^version=${V1}$`, "m"));
  });

  test("every file the compiled code reads relative to itself is in the release", () => {
    const found = filesReadRelatively(join(unpacked, "dist"));
    assert.ok(
      found.some((f) => f.endsWith("package.json")),
      "statusRoute's ../../package.json is among them",
    );
    for (const file of found) assert.ok(existsSync(file), `${file} is read at run time but missing`);
  });

  test("install.sh installs v1 into a fresh directory with the network off", async () => {
    const result = await install(unpacked);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(current(), `releases/${V1}`);
    assert.deepEqual(history(), [V1]);
    assert.match(result.stdout, /created .*itgrix\.json from the example/);
    assert.deepEqual(
      JSON.parse(readFileSync(configFile, "utf8")),
      JSON.parse(readFileSync(join(unpacked, "config/itgrix.example.json"), "utf8")),
    );
    const unit = readFileSync(join(unitDir, "itgrix-app.service"), "utf8");
    assert.match(
      unit,
      new RegExp(`^ExecStart=\\S+ --enable-source-maps ${prefix}/current/dist/app/main\\.js$`, "m"),
    );
    assert.match(unit, new RegExp(`^Environment=ITGRIX_CONFIG=${configFile}$`, "m"));
    assert.doesNotMatch(unit, /@[A-Z_]+@/, "every placeholder is rendered");
    const verify = await run("systemd-analyze", [
      "verify",
      join(unitDir, "itgrix-app.service"),
      join(unitDir, "itgrix-workers@.service"),
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), "", "systemd-analyze has no complaint about the units");
  });

  test("app and workers started from the installed directory put a sipp call into the CRM", async () => {
    writeFileSync(configFile, JSON.stringify(testConfig(), null, 2));
    await waitForExclusiveAri();
    phone = await startOperator({ extension: OPERATOR, behaviour: { answerAfterMs: 300 } });
    await startBoth();
    const status = await waitForStatus(httpPort, (s) => s.ari.connected && (s.workers.seen ?? 0) >= 1, logs);
    assert.equal(status.app.version, V1, "/status reads the version from the installed dist/package.json");
    await callReachesCrm("74957770001");
    assert.equal(phone.stats().answered, 1);
    await dashboardAndMetricsServed(httpPort);

    const env = { PATH: process.env.PATH, ITGRIX_CONFIG: configFile };
    const appHealth = await run(process.execPath, [join(prefix, "current/dist/app/healthcheck.js")], { env });
    assert.equal(appHealth.code, 0, appHealth.stdout + appHealth.stderr);
    const workerHealth = await run(process.execPath, [join(prefix, "current/dist/workers/healthcheck.js")], {
      env,
    });
    assert.equal(workerHealth.code, 0, workerHealth.stdout + workerHealth.stderr);
    const otherPrefix = await run(process.execPath, [join(prefix, "current/dist/workers/healthcheck.js")], {
      env: { ...env, ITGRIX__REDIS__PREFIX: `${redisPrefix}-nobody` },
    });
    assert.equal(otherPrefix.code, 1, `no worker heartbeats under another prefix: ${otherPrefix.stdout}`);

    const trace = await run(
      process.execPath,
      [
        "--enable-source-maps",
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(join(prefix, "current/dist/core/config/loadConfig.js"))});
         try { m.loadConfig("/nonexistent/itgrix.json", {}); } catch (err) { console.log(err.stack); }`,
      ],
      { env },
    );
    assert.match(
      trace.stdout,
      /core\/config\/loadConfig\.ts:\d+:\d+/,
      "stack traces point at the TypeScript",
    );
  });

  test("an upgrade to v2 with the network off keeps the configuration, and calls still reach the CRM", async () => {
    await stopAllInstalled();
    const configBefore = readFileSync(configFile, "utf8");
    const result = await install(v2Dir, "upgrade");
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(current(), `releases/${V2}`);
    assert.deepEqual(history(), [V1, V2]);
    assert.equal(readFileSync(configFile, "utf8"), configBefore, "the configuration is untouched");
    assert.match(result.stdout, /kept the configuration/);
    assert.ok(
      existsSync(join(prefix, "releases", V1, "dist/app/main.js")),
      "v1 stays installed for a rollback",
    );

    await startBoth();
    const status = await waitForStatus(httpPort, (s) => s.ari.connected && (s.workers.seen ?? 0) >= 1, logs);
    assert.equal(status.app.version, V2);
    await callReachesCrm("74957770002");
  });

  test("installing the active release again changes nothing", async () => {
    const releasesBefore = readdirSync(join(prefix, "releases")).sort();
    const result = await install(v2Dir);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /already installed/);
    assert.match(result.stdout, /already active/);
    assert.equal(current(), `releases/${V2}`);
    assert.deepEqual(history(), [V1, V2]);
    assert.deepEqual(readdirSync(join(prefix, "releases")).sort(), releasesBefore);

    const otherBuild = await deriveRelease(v2Dir, join(tmp, "other-build"), V2, "another-build");
    const refused = await install(otherBuild);
    assert.notEqual(refused.code, 0, "another build under an installed version needs --force");
    assert.match(refused.stderr, /holds another build of/);
    assert.equal(current(), `releases/${V2}`);
  });

  test("rollback returns to v1 with the configuration kept; a second rollback has nowhere to go", async () => {
    await stopAllInstalled();
    const configBefore = readFileSync(configFile, "utf8");
    const result = await install(join(prefix, "current"), "rollback");
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`rolled back from ${V2} to ${V1}`));
    assert.equal(current(), `releases/${V1}`);
    assert.deepEqual(history(), [V1]);
    assert.equal(readFileSync(configFile, "utf8"), configBefore);

    running.push(startInstalled(prefix, "app", configFile, tmp));
    const status = await waitForStatus(httpPort, (s) => s.ari.connected, logs);
    assert.equal(status.app.version, V1);
    await stopAllInstalled();

    const again = await install(join(prefix, "current"), "rollback");
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /nothing to roll back to/);
    assert.equal(current(), `releases/${V1}`);
  });

  test("an upgrade whose kept configuration does not validate is refused and nothing switches", async () => {
    const good = readFileSync(configFile, "utf8");
    const broken = testConfig();
    (broken.routing as { dids: Record<string, { group: string }> }).dids[DID] = { group: "nosuchgroup" };
    writeFileSync(configFile, JSON.stringify(broken));
    try {
      const result = await install(v2Dir);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`routing\\.dids\\.${DID}\\.group: unknown group "nosuchgroup"`));
      assert.match(result.stderr, new RegExp(`${V1} stays active`));
      assert.equal(current(), `releases/${V1}`);
      assert.deepEqual(history(), [V1]);
    } finally {
      writeFileSync(configFile, good);
    }
  });

  test("old releases are pruned to --keep, never the active one or the one a rollback returns to", async () => {
    const v3 = await deriveRelease(v2Dir, join(tmp, `itgrix-${V3}`), V3);
    const result = await runOffline("bash", [join(v3, "install.sh"), ...installArgs(), "--keep", "2"], {
      cwd: tmp,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(current(), `releases/${V3}`);
    assert.deepEqual(history(), [V1, V3]);
    assert.deepEqual(readdirSync(join(prefix, "releases")).sort(), [V1, V3]);
    assert.match(result.stdout, new RegExp(`removed the old release ${V2.replace(/\./g, "\\.")}`));
  });
});

/**
 * The release serves the dashboard with every asset (the page and uPlot from the production
 * node_modules), and the app's /metrics counts the call the separate worker process delivered (the
 * worker's snapshot in Redis, summed by the app).
 */
async function dashboardAndMetricsServed(port: number): Promise<void> {
  const headers = { authorization: `Basic ${Buffer.from("admin:offline-test-admin").toString("base64")}` };
  const base = `http://127.0.0.1:${port}`;
  for (const path of [
    "/dashboard/",
    ...["dashboard.js", "dashboard.css", "uplot.js", "uplot.css"].map((f) => `/dashboard/assets/${f}`),
  ]) {
    const res = await fetch(`${base}${path}`, { headers });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    assert.ok((await res.arrayBuffer()).byteLength > 100, `${path} has content`);
  }
  const deadline = Date.now() + 15_000;
  let text = "";
  while (Date.now() < deadline) {
    text = await (await fetch(`${base}/metrics`, { headers })).text();
    if (/^itgrix_calls_total\{direction="inbound",outcome="answered"\} 1$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`the worker's delivered call is not in the app's /metrics:\n${text}`);
}
