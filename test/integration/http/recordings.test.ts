import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { signRecording, signedRecordingUrl } from "../../../core/recordings/signedLink.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { startHarness, type Harness } from "./httpHarness.ts";

/** GET with the path sent exactly as written (fetch would resolve `%2e%2e` before sending). */
function rawGet(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** `GET /recordings/*` of the app's HTTP API: the signed link is the only auth. */
describe("recordings by signed link", () => {
  const KEY = "route-signing-key-0123456789";
  const FILE = "itgrix/1741000001.1.wav";
  const WAV = Buffer.alloc(5000, 3);
  let redis: TestRedis;
  let spoolDir: string;
  let h: Harness;
  const link = (file: string, base = h.base, ttlSec = 60) =>
    signedRecordingUrl({ publicUrl: base, file, key: KEY, nowMs: Date.now(), ttlSec });

  before(async () => {
    redis = await startRedis();
    spoolDir = await mkdtemp(join(tmpdir(), "itgrix-rec-"));
    await mkdir(join(spoolDir, "itgrix"));
    await writeFile(join(spoolDir, FILE), WAV);
    await writeFile(join(spoolDir, "itgrix", "call.mp3"), Buffer.alloc(10, 1));
    await writeFile(join(tmpdir(), "itgrix-outside.wav"), Buffer.alloc(10, 2));
    h = await startHarness(redis.url, { http: { signingKey: KEY }, recording: { spoolDir } });
  });
  after(async () => {
    await h.close();
    await redis.stop();
    await rm(spoolDir, { recursive: true, force: true });
    await rm(join(tmpdir(), "itgrix-outside.wav"), { force: true });
  });

  it("given a valid link, then 200 with the file, its length and an audio content type, and the signature is not logged", async () => {
    const url = link(FILE);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "audio/wav");
    assert.equal(res.headers.get("content-length"), String(WAV.length));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), WAV);
    const mp3 = await fetch(link("itgrix/call.mp3"));
    assert.equal(mp3.headers.get("content-type"), "audio/mpeg");
    const sig = new URL(url).searchParams.get("sig")!;
    assert.ok(!h.logText().includes(sig), "the signature reached the log");
  });

  it("given no, a tampered, another file's or an expired signature, then 403", async () => {
    const good = new URL(link(FILE));
    const bare = `${h.base}/recordings/${FILE}`;
    assert.equal((await fetch(bare)).status, 403);
    const tampered = new URL(good);
    const sig = good.searchParams.get("sig")!;
    tampered.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
    assert.equal((await fetch(tampered)).status, 403);
    const longer = new URL(good);
    longer.searchParams.set("exp", String(Number(good.searchParams.get("exp")) + 3600));
    assert.equal((await fetch(longer)).status, 403);
    const otherFile = new URL(link("itgrix/call.mp3"));
    assert.equal((await fetch(`${bare}${otherFile.search}`)).status, 403);
    const exp = Math.floor(Date.now() / 1000) - 5;
    const expired = await fetch(`${bare}?exp=${exp}&sig=${signRecording(KEY, FILE, exp)}`);
    assert.equal(expired.status, 403);
    assert.deepEqual(await expired.json(), { error: "link expired" });
  });

  it("given a path that leaves the spool, then 400, signed or not", async () => {
    const query = `?exp=9999999999&sig=${"A".repeat(43)}`;
    for (const path of [
      "..%2Fitgrix-outside.wav",
      "%2e%2e/itgrix-outside.wav",
      "itgrix/..%2F..%2Fitgrix-outside.wav",
      "itgrix/%2E%2E/%2E%2E/itgrix-outside.wav",
      "itgrix/../../itgrix-outside.wav",
      "itgrix%5C..%5C..%5Citgrix-outside.wav",
    ]) {
      assert.equal(await rawGet(h.base, `/recordings/${path}${query}`), 400, path);
    }
    const signed = signRecording(KEY, "../itgrix-outside.wav", 9999999999);
    const path = `/recordings/..%2Fitgrix-outside.wav?exp=9999999999&sig=${signed}`;
    assert.equal(await rawGet(h.base, path), 400);
  });

  it("given a valid link to a file that is not in the spool, then 404", async () => {
    const res = await fetch(link("itgrix/gone.wav"));
    assert.equal(res.status, 404);
  });

  it("given no http.signingKey, then the route answers 503 naming the key", async () => {
    const bare = await startHarness(redis.url, { recording: { spoolDir } });
    try {
      const res = await fetch(link(FILE, bare.base));
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { key: string }).key, "http.signingKey");
    } finally {
      await bare.close();
    }
  });
});
