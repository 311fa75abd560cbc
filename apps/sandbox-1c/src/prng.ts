/** A small seeded PRNG (mulberry32) so fault injection repeats exactly for a given seed. */
export type Random = () => number;

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

/** Seeded when a seed is given, Math.random otherwise. */
export function createRandom(seed: number | undefined): Random {
  return seed === undefined ? Math.random : mulberry32(seed);
}
