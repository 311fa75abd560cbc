// Seeded randomness for fault injection: the same seed and the same sequence of calls give the
// same faults, so a failing test run can be replayed.

export type Random = () => number;

/** mulberry32: tiny, fast, good enough for coin flips. Returns floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded when a seed is given (a `salt` separates independent streams), Math.random otherwise. */
export function createRandom(seed: number | undefined, salt = 0): Random {
  return seed === undefined ? Math.random : mulberry32((seed ^ salt) >>> 0);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
