// The random source every balancer, backoff and union pick draws from, passed in so that tests can fix it.

/** A source of uniform random numbers in [0, 1). */
export type Random = () => number;

/** A repeatable random source (mulberry32) for tests and simulations: the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that plays back `values` in turn, for tests that need exact picks. */
export function scriptedRandom(values: readonly number[]): Random {
  let i = 0;
  return () => {
    const v = values[i % values.length] as number;
    i++;
    return v;
  };
}
