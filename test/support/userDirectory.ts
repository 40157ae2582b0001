import type { Stack } from "./stack.ts";

/**
 * Waits until the workers' user directory is in Redis: the app resolves a click's user to a phone
 * from there, so a click before it would be refused as an unknown user.
 */
export async function userDirectoryReady(
  stack: Pick<Stack, "redis" | "prefix">,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await stack.redis.keys(`${stack.prefix}:directory:*`)).length) {
    if (Date.now() > deadline) throw new Error("the user directory never reached Redis");
    await new Promise((r) => setTimeout(r, 200));
  }
}
