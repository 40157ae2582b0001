import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_LINK_TTL_SEC,
  signRecording,
  signedRecordingUrl,
  verifyRecordingLink,
} from "../../../core/recordings/signedLink.ts";
import {
  isSafeSpoolFile,
  spoolFileFromUrlPath,
  spoolFileUrlPath,
} from "../../../core/recordings/spoolPath.ts";

const KEY = "a-signing-key-of-32-characters!!";
const FILE = "itgrix/1741000001.17.wav";
const NOW = Date.UTC(2026, 2, 7, 10, 0, 0);

/** The `exp` and `sig` of a link, and the file its path names. */
function partsOf(url: string): { file: string; exp: string; sig: string } {
  const u = new URL(url);
  const path = spoolFileFromUrlPath(u.pathname.replace(/^.*?\/recordings\//, ""));
  assert.ok(path.ok);
  return { file: path.file, exp: u.searchParams.get("exp") ?? "", sig: u.searchParams.get("sig") ?? "" };
}

describe("signed recording links", () => {
  it("given a fresh link, then it names the file below /recordings/ and verifies", () => {
    const url = signedRecordingUrl({
      publicUrl: "https://pbx.example:8077/",
      file: FILE,
      key: KEY,
      nowMs: NOW,
    });
    assert.match(
      url,
      /^https:\/\/pbx\.example:8077\/recordings\/itgrix\/1741000001\.17\.wav\?exp=\d+&sig=[\w-]{43}$/,
    );
    const { file, exp, sig } = partsOf(url);
    assert.equal(file, FILE);
    assert.equal(Number(exp), NOW / 1000 + DEFAULT_LINK_TTL_SEC);
    assert.deepEqual(verifyRecordingLink({ key: KEY, file, exp, sig, nowMs: NOW + 1000 }), { ok: true });
  });

  it("given a public URL with a path prefix and a file name needing encoding, then both survive", () => {
    const file = "itgrix/a b#1.wav";
    const url = signedRecordingUrl({
      publicUrl: "https://pbx/itgrix",
      file,
      key: KEY,
      nowMs: NOW,
      ttlSec: 60,
    });
    assert.ok(url.startsWith("https://pbx/itgrix/recordings/itgrix/a%20b%231.wav?"));
    const parts = partsOf(url);
    assert.equal(parts.file, file);
    assert.equal(Number(parts.exp), NOW / 1000 + 60);
    assert.ok(verifyRecordingLink({ key: KEY, ...parts, nowMs: NOW }).ok);
  });

  it("given a tampered file, expiry, signature or key, then the signature is bad", () => {
    const exp = String(NOW / 1000 + 3600);
    const sig = signRecording(KEY, FILE, Number(exp));
    const bad = { ok: false, reason: "badSignature" };
    assert.deepEqual(verifyRecordingLink({ key: KEY, file: "itgrix/other.wav", exp, sig, nowMs: NOW }), bad);
    assert.deepEqual(
      verifyRecordingLink({ key: KEY, file: FILE, exp: `${Number(exp) + 1}`, sig, nowMs: NOW }),
      bad,
    );
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    assert.deepEqual(verifyRecordingLink({ key: KEY, file: FILE, exp, sig: flipped, nowMs: NOW }), bad);
    assert.deepEqual(verifyRecordingLink({ key: `${KEY}x`, file: FILE, exp, sig, nowMs: NOW }), bad);
  });

  it("given an expired link, then it is refused as expired, at the second it expires too", () => {
    const exp = NOW / 1000 - 1;
    const sig = signRecording(KEY, FILE, exp);
    const expired = { ok: false, reason: "expired" };
    assert.deepEqual(
      verifyRecordingLink({ key: KEY, file: FILE, exp: String(exp), sig, nowMs: NOW }),
      expired,
    );
    const atEdge = signRecording(KEY, FILE, NOW / 1000);
    assert.deepEqual(
      verifyRecordingLink({ key: KEY, file: FILE, exp: String(NOW / 1000), sig: atEdge, nowMs: NOW }),
      expired,
    );
  });

  it("given missing, repeated or malformed exp/sig, then the link is malformed", () => {
    const exp = String(NOW / 1000 + 60);
    const sig = signRecording(KEY, FILE, Number(exp));
    const malformed = { ok: false, reason: "malformed" };
    for (const [e, s] of [
      [undefined, sig],
      [exp, undefined],
      [[exp, exp], sig],
      [exp, [sig]],
      ["-5", sig],
      ["1e12", sig],
      [exp, `${sig}=`],
      [exp, sig.slice(1)],
      [exp, "x".repeat(43).replace(/x$/, "!")],
    ] as const) {
      assert.deepEqual(verifyRecordingLink({ key: KEY, file: FILE, exp: e, sig: s, nowMs: NOW }), malformed);
    }
  });
});

describe("spool paths", () => {
  it("given paths that climb out of the spool, then they are traversal", () => {
    for (const raw of [
      "..%2F..%2Fetc%2Fpasswd",
      "%2e%2e/secret.wav",
      "itgrix/../../x.wav",
      "./x.wav",
      "itgrix//x.wav",
      "%2Fetc%2Fpasswd",
      "itgrix%5C..%5Cx.wav",
      "x%00.wav",
      "",
    ]) {
      assert.deepEqual(spoolFileFromUrlPath(raw), { ok: false, reason: "traversal" }, raw);
    }
    assert.deepEqual(spoolFileFromUrlPath("bad%E0%A4%A.wav"), { ok: false, reason: "malformed" });
  });

  it("given a plain relative path, then it round-trips through its URL form", () => {
    for (const file of [FILE, "a b/ü+%.mp3", "x.wav"]) {
      assert.ok(isSafeSpoolFile(file));
      assert.deepEqual(spoolFileFromUrlPath(spoolFileUrlPath(file)), { ok: true, file });
    }
  });

  it("given unsafe spool files, then they are refused", () => {
    for (const file of [
      "",
      "/etc/passwd",
      "../x.wav",
      "a/../../x.wav",
      "a\\b.wav",
      "a//b.wav",
      "a/./b.wav",
    ]) {
      assert.equal(isSafeSpoolFile(file), false, file);
    }
  });
});
