/**
 * A seeded PRNG (mulberry32) with the few draws the suite needs. Every random choice of a run —
 * the workload plan, the fault schedule, the sandboxes' own fault seeds — comes from streams
 * derived from one seed, so a run is reproduced by its seed (timings aside: the system under
 * test runs on real clocks).
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A seed for another component (a sandbox's fault PRNG). */
  seed(): number;
}

export function createRandom(seed: number, stream = 0): Random {
  let state = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(0, items.length - 1)] as T;
    },
    seed: () => int(1, 2 ** 31 - 1),
  };
}

/** Independent streams of one run: drawing more workload never shifts the fault schedule. */
export const Streams = { workload: 1, faults: 2, sandboxes: 3 } as const;
