/**
 * docker-compose.yml, checked without a Docker engine: Debian's `docker-compose config` validates and
 * resolves it, then the resolved services are read as data: Redis durable and reachable by service
 * name, the API listening on all interfaces inside its container but published on the loopback,
 * healthchecks that run compiled files, scalable workers, the emulator only in its profile, and every
 * file or folder of this repository it names present.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadConfig } from "../../../core/config/loadConfig.ts";
import { compose, includedSourceFiles, REPO, sourceOfBuilt, yamlToData } from "./containerFiles.ts";

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number | null>;
  ports?: (string | { published?: string | number; target?: number; host_ip?: string })[];
  volumes?: (string | { type: string; source: string; target: string })[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  network_mode?: string;
  container_name?: string;
  env_file?: string | string[];
}

const SECRET = { ITGRIX_PG_PASSWORD: "compose-test-password" };

describe("docker-compose.yml", () => {
  let services: Record<string, Service>;
  let raw: { services: Record<string, Service> };
  let sources: string[];
  before(() => {
    const resolved = compose(["--profile", "emulator", "config"], SECRET);
    assert.equal(resolved.status, 0, resolved.stderr);
    services = (yamlToData(resolved.stdout) as { services: Record<string, Service> }).services;
    raw = yamlToData(readFileSync(join(REPO, "docker-compose.yml"), "utf8")) as typeof raw;
    sources = includedSourceFiles();
  });

  test("docker-compose config -q accepts it, and refuses to run PostgreSQL without a password", () => {
    const ok = compose(["config", "-q"], SECRET);
    assert.equal(ok.status, 0, ok.stderr);
    const noSecret = compose(["config", "-q"]);
    assert.notEqual(noSecret.status, 0);
    assert.match(noSecret.stderr, /ITGRIX_PG_PASSWORD/);
  });

  test("Redis keeps an append-only file and never evicts; nothing uses host networking", () => {
    const command = services.redis?.command?.join(" ") ?? "";
    assert.match(command, /--appendonly yes/);
    assert.match(command, /--maxmemory-policy noeviction/);
    assert.ok(services.redis?.volumes?.length, "Redis data on a volume");
    for (const [name, service] of Object.entries(services))
      assert.equal(service.network_mode, undefined, `${name} uses the compose network`);
  });

  test("app and workers reach Redis by its service name and wait until it is healthy", () => {
    for (const name of ["app", "workers"]) {
      const env = services[name]?.environment ?? {};
      const url = new URL(String(env.ITGRIX__REDIS__URL));
      assert.ok(url.hostname in services, `${name}: Redis host ${url.hostname} is a compose service`);
      assert.notEqual(url.hostname, "127.0.0.1");
      assert.equal(services[name]?.depends_on?.[url.hostname]?.condition, "service_healthy");
      assert.equal(env.ITGRIX_CONFIG, "/etc/itgrix/itgrix.json");
    }
  });

  test("the API listens on 0.0.0.0 inside its container, on the port it publishes, on the host's loopback", () => {
    const env = services.app?.environment ?? {};
    assert.equal(env.ITGRIX__HTTP__HOST, "0.0.0.0");
    const port = String(services.app?.ports?.[0]);
    const [hostIp, published, target] = port.replace(/\/tcp$/, "").split(":");
    assert.equal(hostIp, "127.0.0.1", `published as ${port}`);
    assert.equal(published, "8077");
    assert.equal(target, String(env.ITGRIX__HTTP__PORT));
  });

  test("commands and healthchecks run files the build compiles", () => {
    const expected: Record<string, string[]> = {
      app: ["app/main.ts", "app/healthcheck.ts"],
      workers: ["workers/main.ts", "workers/healthcheck.ts"],
      emulator: ["emulator/main.ts"],
    };
    for (const [name, wanted] of Object.entries(expected)) {
      const service = services[name]!;
      const files = [...(service.command ?? []), ...(service.healthcheck?.test ?? [])].filter((w) =>
        w.startsWith("dist/"),
      );
      assert.deepEqual(
        files.map((f) => sourceOfBuilt(f, sources)),
        wanted,
        `${name}: ${files.join(", ")}`,
      );
    }
    assert.ok(services.app?.command?.includes("--enable-source-maps"));
    assert.ok(services.workers?.command?.includes("--enable-source-maps"));
  });

  test("workers scale (no fixed name, no published port); app, workers and emulator share one image", () => {
    assert.equal(services.workers?.container_name, undefined);
    assert.equal(services.workers?.ports, undefined);
    const images = new Set(["app", "workers", "emulator"].map((n) => services[n]?.image));
    assert.equal(images.size, 1, [...images].join(", "));
    assert.deepEqual(services.emulator?.profiles, ["emulator"]);
    for (const name of ["redis", "postgres", "app", "workers"])
      assert.equal(services[name]?.profiles, undefined, `${name} runs without a profile`);
  });

  test("every file and folder of the repository it names exists", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) {
        const dockerfile = join(service.build.context, service.build.dockerfile ?? "Dockerfile");
        assert.ok(existsSync(dockerfile), `${name}: ${dockerfile}`);
      }
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === "string" ? volume.split(":")[0]! : volume.source;
        if (!source.startsWith(REPO)) continue; // named volumes and host paths (the Asterisk spool)
        assert.ok(existsSync(source), `${name}: ${source}`);
      }
    }
    const envFiles = Object.values(raw.services).flatMap((s) =>
      s.env_file === undefined ? [] : Array.isArray(s.env_file) ? s.env_file : [s.env_file],
    );
    assert.ok(envFiles.length > 0);
    for (const file of envFiles) assert.ok(existsSync(join(REPO, file)), file);
    const configDir = (services.app?.volumes ?? [])
      .map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`))
      .find((v) => v.includes(":/etc/itgrix"));
    assert.ok(configDir, "the configuration directory is mounted at /etc/itgrix");
    const hostDir = configDir.split(":")[0]!;
    assert.ok(statSync(hostDir).isDirectory());
    assert.ok(
      existsSync(join(hostDir, "itgrix.example.json")),
      "the example to copy is in the mounted folder",
    );
  });

  test("the example configuration with the containers' environment validates, and the emulator line of the env file works", () => {
    const example = join(REPO, "config/itgrix.example.json");
    // What an admin does first: the example's `change-me` secrets replaced by their own.
    const ownSecrets = {
      ITGRIX__ARI__PASSWORD: "ari-secret",
      ITGRIX__HTTP__ADMINPASSWORD: "admin-secret",
      ITGRIX__HTTP__SIGNINGKEY: "a-signing-key-of-32-characters!!",
      ITGRIX__BITRIX__AUTH__WEBHOOKURL: "https://portal.example.com/rest/1/abcdef0123456789/",
      ITGRIX__BITRIX__APPLICATIONTOKEN: "0123456789abcdef",
    };
    const env = {
      ...ownSecrets,
      ...Object.fromEntries(Object.entries(services.app?.environment ?? {}).map(([k, v]) => [k, String(v)])),
    };
    const config = loadConfig(example, env);
    assert.equal(config.http.host, "0.0.0.0");
    assert.equal(config.redis.url, "redis://redis:6379");
    const envFile = readFileSync(join(REPO, "deploy/docker/itgrix.env"), "utf8");
    const emulatorLines = envFile
      .split("\n")
      .filter((l) => /^#ITGRIX__BITRIX__/.test(l))
      .map((l) => l.slice(1).split(/=(.*)/s).slice(0, 2) as [string, string]);
    assert.ok(emulatorLines.length > 0, "the env file shows how to use the emulator");
    // The emulator line replaces the whole bitrix.auth, webhook URL included.
    const { ITGRIX__BITRIX__AUTH__WEBHOOKURL: _ownPortal, ...envWithoutPortal } = env;
    const withEmulator = loadConfig(example, { ...envWithoutPortal, ...Object.fromEntries(emulatorLines) });
    const auth = withEmulator.bitrix.auth;
    assert.equal(auth?.type, "webhook");
    assert.equal(new URL(auth?.type === "webhook" ? auth.webhookUrl : "").host, "emulator:18080");
    assert.ok(
      (services.emulator?.command ?? []).join(" ").includes("--port 18080"),
      "the emulator listens where the env file points",
    );
  });
});
