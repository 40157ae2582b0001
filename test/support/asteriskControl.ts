/**
 * Stops and starts the testbed's Asterisk (the one `npm run testbed -- up` started), for the chaos
 * tests: `core stop now` (every channel hung up, the ARI websocket closed), then the same start as
 * `up` (resolves once ARI answers). The chroot's mounts and configuration stay as `up` left them.
 */
import { startAsterisk, stopAsterisk } from "../../testbed/asteriskProcess.ts";
import { loadSettings } from "../../testbed/settings.ts";

export async function stopTestbedAsterisk(): Promise<void> {
  await stopAsterisk(loadSettings());
}

export async function startTestbedAsterisk(): Promise<void> {
  await startAsterisk(loadSettings());
}
