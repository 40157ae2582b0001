import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** A valid PCM wav of `seconds` of silence (8 kHz, 16-bit, mono): what Asterisk leaves in its spool. */
export function silentWav(seconds: number): Buffer {
  const rate = 8000;
  const dataBytes = Math.round(seconds * rate) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write("WAVE", 8, "ascii");
  wav.write("fmt ", 12, "ascii");
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(dataBytes, 40);
  return wav;
}

/** Writes one small wav per recorded call under `spoolDir` (paths as the call states name them). */
export async function writeRecordings(spoolDir: string, files: readonly string[]): Promise<void> {
  const wav = silentWav(1);
  for (const file of files) {
    const path = join(spoolDir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, wav);
  }
}
