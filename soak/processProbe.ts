import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * CPU time and resident memory of the processes the soak watches, from /proc: CPU as the growth of
 * utime+stime between two snapshots, RSS as the highest VmRSS seen by a sampler (every second). A
 * group ("sipp") sums its processes; processes that ended between snapshots (the per-call sipp
 * callers) are counted through this process's cutime+cstime, which the kernel adds when it reaps them.
 */

const TICKS_PER_SEC = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime+stime (own) and cutime+cstime (reaped children) of a process, in seconds. */
export function cpuSeconds(pid: number | "self"): { own: number; children: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14..17 of stat; f[0] is field 3.
    const n = (field: number) => Number(f[field - 3]);
    return { own: (n(14) + n(15)) / TICKS_PER_SEC, children: (n(16) + n(17)) / TICKS_PER_SEC };
  } catch {
    return undefined;
  }
}

/** Resident set size in MB, or undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export interface ProcessFigures {
  name: string;
  /** Most processes of the group seen at once. */
  processes: number;
  cpuSec: number;
  /** Average share of one core over the window, in %. */
  cpuPercent: number;
  peakRssMb: number;
}

/** A named group of pids, re-read at every sample. */
export interface Watched {
  name: string;
  /** Long-lived processes: CPU from their /proc figures, RSS summed. */
  pids: () => number[];
  /**
   * Short-lived children of this process (sipp callers): RSS summed while they run, CPU taken from
   * this process's reaped-children time (so they must all have ended before stop()).
   */
  reapedPids?: () => number[];
}

export class ProcessProbe {
  private readonly startCpu = new Map<string, Map<number, number>>();
  private readonly lastCpu = new Map<string, Map<number, number>>();
  private readonly peakRss = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private reapedAtStart = 0;
  private startedAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly watched: Watched[]) {}

  start(sampleMs = 1000): void {
    this.startedAt = Date.now();
    this.reapedAtStart = cpuSeconds("self")?.children ?? 0;
    for (const w of this.watched) this.startCpu.set(w.name, this.cpuOf(w));
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  /** Ends the window: CPU per group since start() and the peak RSS seen. */
  stop(): ProcessFigures[] {
    clearInterval(this.timer);
    this.sample();
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const reaped = (cpuSeconds("self")?.children ?? 0) - this.reapedAtStart;
    return this.watched.map((w) => {
      const start = this.startCpu.get(w.name) ?? new Map<number, number>();
      const last = this.lastCpu.get(w.name) ?? new Map<number, number>();
      // A process that ended since the last sample keeps its last figure (at most a second lost).
      let cpu = 0;
      for (const [pid, now] of last) cpu += now - (start.get(pid) ?? 0);
      if (w.reapedPids) cpu += reaped;
      return {
        name: w.name,
        processes: this.seen.get(w.name) ?? 0,
        cpuSec: cpu,
        cpuPercent: (100 * cpu) / seconds,
        peakRssMb: this.peakRss.get(w.name) ?? 0,
      };
    });
  }

  private cpuOf(w: Watched): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of w.pids()) {
      const cpu = cpuSeconds(pid);
      if (cpu) out.set(pid, cpu.own);
    }
    return out;
  }

  private sample(): void {
    for (const w of this.watched) {
      const pids = w.pids();
      const all = [...pids, ...(w.reapedPids?.() ?? [])];
      const rss = all.reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0);
      this.peakRss.set(w.name, Math.max(this.peakRss.get(w.name) ?? 0, rss));
      this.seen.set(w.name, Math.max(this.seen.get(w.name) ?? 0, all.length));
      const last = this.lastCpu.get(w.name) ?? new Map<number, number>();
      for (const [pid, cpu] of this.cpuOf(w)) last.set(pid, cpu);
      this.lastCpu.set(w.name, last);
    }
  }
}
