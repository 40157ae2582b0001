/**
 * The seeded building blocks of the call mixes the demo and the benchmark generate: the same seed
 * gives the same calls, so a failed run can be replayed. Pure; nothing here reads time.
 */

/** mulberry32: small, fast, reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The scenario of call `seq` (from 1): the first calls walk through every name once, so that small
 * runs see all of them, then weighted random picks (one `random()` per pick).
 */
export function pickScenario<N extends string>(
  seq: number,
  names: readonly N[],
  weights: Readonly<Record<N, number>>,
  random: () => number,
): N {
  if (seq <= names.length) return names[seq - 1]!;
  const total = names.reduce((sum, n) => sum + weights[n], 0);
  let r = random() * total;
  for (const n of names) {
    r -= weights[n];
    if (r < 0) return n;
  }
  return names[names.length - 1]!;
}

/** Unique per call within a run: +7 916 5xx xx xx, the sequence number in the last digits. */
export function clientNumberFor(seq: number): string {
  return `+79165${String(seq % 1_000_000).padStart(6, "0")}`;
}
