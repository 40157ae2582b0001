/**
 * Recording files are named by their path relative to the recording spool (`itgrix/<callId>.wav`, as
 * in CallState.recording.file). PURE checks that such a path stays inside the spool, and its form in a
 * URL (one encoded segment per directory level).
 */

export type SpoolPathVerdict = { ok: true; file: string } | { ok: false; reason: "malformed" | "traversal" };

/** A segment that could leave the spool or name something other than a plain file below it. */
function unsafeSegment(segment: string): boolean {
  return (
    segment === "" ||
    segment === "." ||
    segment === ".." ||
    segment.includes("/") ||
    segment.includes("\\") ||
    segment.includes("\0")
  );
}

/** A relative spool path (`a/b.wav`): no absolute path, no `.`/`..`, no empty segment, no backslash. */
export function isSafeSpoolFile(file: string): boolean {
  if (file === "" || file.length > 1024) return false;
  return !file.split("/").some(unsafeSegment);
}

/**
 * The spool file named by the URL path after `/recordings/` (still percent-encoded, as received).
 * Each segment is decoded on its own, so `..%2F` or `%2e%2e` cannot climb out of the spool.
 */
export function spoolFileFromUrlPath(rawPath: string): SpoolPathVerdict {
  const segments: string[] = [];
  for (const raw of rawPath.split("/")) {
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      return { ok: false, reason: "malformed" };
    }
  }
  if (segments.some(unsafeSegment)) return { ok: false, reason: "traversal" };
  return { ok: true, file: segments.join("/") };
}

/** `itgrix/a b.wav` → `itgrix/a%20b.wav`: the path of the file below `/recordings/`. */
export function spoolFileUrlPath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}
