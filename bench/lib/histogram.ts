// A small HDR-style log-linear latency histogram in nanoseconds: 128 sub-buckets per power of two (≤0.4% error).

/**
 * Values below 256 ns have one bucket each; above, every power-of-two range [2^k, 2^(k+1)) is split into 128
 * equal sub-buckets, so a bucket is at most 1/128 of its values wide and its midpoint is within 0.4% of any
 * value in it. The exact minimum and maximum are kept besides. Up to 2^45 ns (about 9.8 hours) is covered;
 * larger values land in the last bucket (the exact maximum is still kept).
 */
const SUB_BITS = 7;
const SUB_HALF = 1 << SUB_BITS; // 128
const LINEAR = SUB_HALF * 2; // 256 values with a bucket each
const MAX_EXPONENT = 45 - (SUB_BITS + 1);
const BUCKETS = (MAX_EXPONENT + 1) * SUB_HALF + SUB_HALF;

/** The number of bits of a non-negative integer below 2^53 (0 for 0). */
function bitLength(v: number): number {
  if (v < 0x1_0000_0000) return 32 - Math.clz32(v);
  return 64 - Math.clz32(Math.floor(v / 0x1_0000_0000));
}

/** The bucket of a value in ns (a non-negative integer). */
export function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const exponent = bitLength(v) - (SUB_BITS + 1);
  if (exponent > MAX_EXPONENT) return BUCKETS - 1;
  const mantissa = Math.floor(v / 2 ** exponent); // in [128, 255]
  return exponent * SUB_HALF + mantissa;
}

/** The lowest value of a bucket and its width. */
export function bucketRange(i: number): { low: number; width: number } {
  if (i < LINEAR) return { low: i, width: 1 };
  const exponent = Math.floor(i / SUB_HALF) - 1;
  const mantissa = i - exponent * SUB_HALF;
  return { low: mantissa * 2 ** exponent, width: 2 ** exponent };
}

/** The serialized form: the count, exact min/max/sum, and the non-empty buckets as [index, count] pairs. */
export interface HistogramJson {
  readonly count: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly sumNs: number;
  readonly buckets: readonly (readonly [number, number])[];
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;

  /** Records one value in nanoseconds (negative values count as 0). */
  record(ns: number): void {
    const v = ns > 0 ? Math.round(ns) : 0;
    this.#counts[bucketOf(v)]! += 1;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  get maxNs(): number {
    return this.#count === 0 ? Number.NaN : this.#max;
  }

  get minNs(): number {
    return this.#count === 0 ? Number.NaN : this.#min;
  }

  get meanNs(): number {
    return this.#count === 0 ? Number.NaN : this.#sum / this.#count;
  }

  /**
   * The value at percentile `p` (0-100) in ns: the midpoint of the bucket holding the ⌈p% · count⌉-th smallest
   * value, clamped to the exact min and max (so p100 is the exact maximum). NaN when empty.
   */
  percentileNs(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    if (rank >= this.#count) return this.#max;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) {
        const { low, width } = bucketRange(i);
        const mid = width === 1 ? low : low + width / 2;
        return Math.min(this.#max, Math.max(this.#min, mid));
      }
    }
    return this.#max;
  }

  /** Adds another histogram's values to this one. */
  add(other: Histogram): void {
    const o = other.toJSON();
    this.addJson(o);
  }

  addJson(o: HistogramJson): void {
    if (o.count === 0) return;
    for (const [i, n] of o.buckets) this.#counts[i]! += n;
    this.#count += o.count;
    this.#sum += o.sumNs;
    if (o.minNs < this.#min) this.#min = o.minNs;
    if (o.maxNs > this.#max) this.#max = o.maxNs;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.#counts[i]!;
      if (n > 0) buckets.push([i, n]);
    }
    return {
      count: this.#count,
      minNs: this.#count === 0 ? 0 : this.#min,
      maxNs: this.#max,
      sumNs: this.#sum,
      buckets,
    };
  }

  static fromJSON(o: HistogramJson): Histogram {
    const h = new Histogram();
    h.addJson(o);
    return h;
  }
}
