import type { HookSystemStatus } from "./hookSystem.ts";
import type { FolderLoadReport } from "./loader/folderLoader.ts";

/**
 * The hook system of one process as `/status` shows it (and as worker heartbeats carry it): which
 * customizations are in use, the last folder load, and per point runs, errors, timeouts, refused
 * values, deferrals and the mean duration. The duration buckets stay in the process (`/metrics`).
 */
export interface HookStatusView {
  customizations: { name: string; origin: "shipped" | "folder"; points: string[] }[];
  folder: string | null;
  lastLoad: {
    at: string;
    loaded: string[];
    failed: { name: string; error: string }[];
    typeCheckSkipped?: string;
  } | null;
  points: Record<
    string,
    { runs: number; errors: number; timeouts: number; refused: number; deferred: number; meanMs: number }
  >;
}

export function hookStatusView(status: HookSystemStatus): HookStatusView {
  const points: HookStatusView["points"] = {};
  for (const [name, f] of Object.entries(status.points)) {
    if (!f) continue;
    const { runs, errors, timeouts, refused, deferred } = f;
    points[name] = {
      runs,
      errors,
      timeouts,
      refused,
      deferred,
      meanMs: runs > 0 ? Math.round((f.durationSumMs / runs) * 100) / 100 : 0,
    };
  }
  return {
    customizations: status.customizations.map(({ name, origin, points: p }) => ({ name, origin, points: p })),
    folder: status.folder ?? null,
    lastLoad: status.lastLoad ? loadView(status.lastLoad) : null,
    points,
  };
}

function loadView(report: FolderLoadReport): NonNullable<HookStatusView["lastLoad"]> {
  return {
    at: report.at,
    loaded: [...report.loaded, ...report.unchanged],
    failed: report.failed.map(({ name, error }) => ({ name, error })),
    ...(report.typeCheckSkipped ? { typeCheckSkipped: report.typeCheckSkipped } : {}),
  };
}
