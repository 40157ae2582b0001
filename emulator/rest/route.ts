import { normaliseMethodName } from "../methods/registry.ts";

export type RestRoute =
  | { kind: "webhook"; userId: string; secret: string; method: string }
  | { kind: "app"; method: string }
  | { kind: "upload" };

/** `/rest/{userId}/{secret}/{method}[.json]`, `/rest/{method}[.json]`, or the upload target. */
export function parseRestRoute(path: string): RestRoute | null {
  const segments = path.split("/").filter((s) => s !== "");
  if (segments[0] !== "rest") return null;
  const decoded = segments.map((s) => decodeURIComponent(s));
  if (decoded.length === 2 && normaliseMethodName(decoded[1] ?? "") === "upload") return { kind: "upload" };
  if (decoded.length === 2) return { kind: "app", method: decoded[1] ?? "" };
  if (decoded.length === 4 && /^\d+$/.test(decoded[1] ?? "")) {
    return { kind: "webhook", userId: decoded[1] ?? "", secret: decoded[2] ?? "", method: decoded[3] ?? "" };
  }
  return null;
}
