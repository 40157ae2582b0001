import { watch, type FSWatcher } from "node:fs";

/**
 * Calls `reload` after files in the folder (and its subfolders, where helpers live) stopped changing
 * for `debounceMs`. Reloads never overlap: a change during a reload schedules one more after it.
 * Returns the function that stops watching.
 */
export function watchFolder(
  folder: string,
  debounceMs: number,
  reload: () => Promise<void>,
  onError: (err: Error) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .catch((err: unknown) => onError(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  };

  let watcher: FSWatcher;
  try {
    watcher = watchWithFallback(folder, changed);
  } catch (err) {
    onError(err instanceof Error ? err : new Error(String(err)));
    return () => undefined;
  }
  watcher.on("error", onError);
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher.close();
  };
}

function watchWithFallback(folder: string, changed: () => void): FSWatcher {
  try {
    return watch(folder, { recursive: true, persistent: false }, changed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw err;
    // Recursive watching is not supported everywhere; the top level is what holds the modules.
    return watch(folder, { persistent: false }, changed);
  }
}
