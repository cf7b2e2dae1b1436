// Histogram: counts integer values in log-linear buckets (exact below 128, within 0.8% above) in bounded memory.

/**
 * What a histogram held over one interval, in Linkerd's shape. All values are integers except `avg`;
 * percentiles follow Finagle's rule (the bucket holding the `round(p * count)`-th value), clamped to
 * `[min, max]`. Every field is 0 when `count` is 0.
 */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly avg: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p9990: number;
  readonly p9999: number;
}

export const EMPTY_SUMMARY: Summary = Object.freeze({
  count: 0,
  min: 0,
  max: 0,
  sum: 0,
  avg: 0,
  p50: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  p9990: 0,
  p9999: 0,
});

/** Buckets per group; group 0 holds 0..63 one per value, group g >= 1 holds [2^(g+5), 2^(g+6)) in 64 buckets. */
const SUB = 64;
const GROUPS = 27;
/** Values are clamped to the largest unsigned 32-bit integer (Finagle clamps to Int.MaxValue). */
export const MAX_VALUE = 0xffffffff;

const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999, 0.9999] as const;

/**
 * A histogram of non-negative integers. `add` truncates toward zero like Linkerd (which records `Long`s),
 * so record in a unit fine enough for the values (microseconds for sub-millisecond latencies). Negative
 * values and NaN count as 0. A group of 64 counters (256 bytes) is allocated the first time a value of its
 * magnitude is seen and kept across `clear()`, so memory is at most 27 groups (6.9 KB) and is typically
 * 1-2 KB; `add` is a few integer operations and allocates nothing once its group exists.
 */
export class Histogram {
  private readonly groups: (Uint32Array | undefined)[] = new Array<Uint32Array | undefined>(GROUPS).fill(
    undefined,
  );
  private n = 0;
  private total = 0;
  private lo = MAX_VALUE;
  private hi = 0;

  add(value: number): void {
    const v = value >= MAX_VALUE ? MAX_VALUE : value > 0 ? value >>> 0 : 0;
    let g = 0;
    let s = v;
    if (v >= SUB) {
      const e = 31 - Math.clz32(v);
      g = e - 5;
      s = (v >>> (e - 6)) - SUB;
    }
    let group = this.groups[g];
    if (group === undefined) {
      group = new Uint32Array(SUB);
      this.groups[g] = group;
    }
    group[s]!++;
    this.n++;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.n;
  }

  /** Forgets every value, keeping the allocated groups for the next interval. */
  clear(): void {
    for (const group of this.groups) group?.fill(0);
    this.n = 0;
    this.total = 0;
    this.lo = MAX_VALUE;
    this.hi = 0;
  }

  summary(): Summary {
    const count = this.n;
    if (count === 0) return EMPTY_SUMMARY;
    const min = this.lo;
    const max = this.hi;
    const ps = [0, 0, 0, 0, 0, 0];
    let q = 0;
    let target = Math.round(QUANTILES[0] * count);
    let seen = 0;
    for (let g = 0; g < GROUPS && q < QUANTILES.length; g++) {
      const group = this.groups[g];
      if (group === undefined) continue;
      for (let s = 0; s < SUB && q < QUANTILES.length; s++) {
        seen += group[s]!;
        while (q < QUANTILES.length && seen >= target) {
          ps[q] = clamp(representative(g, s), min, max);
          q++;
          if (q < QUANTILES.length) target = Math.round(QUANTILES[q]! * count);
        }
      }
    }
    return {
      count,
      min,
      max,
      sum: this.total,
      avg: this.total / count,
      p50: ps[0]!,
      p90: ps[1]!,
      p95: ps[2]!,
      p99: ps[3]!,
      p9990: ps[4]!,
      p9999: ps[5]!,
    };
  }
}

/** The value reported for bucket `s` of group `g`: the midpoint of its range, rounded down (Finagle's rule). */
function representative(g: number, s: number): number {
  if (g === 0) return s;
  const width = 2 ** (g - 1);
  return (SUB + s) * width + Math.floor(width / 2);
}

function clamp(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(v, max));
}
