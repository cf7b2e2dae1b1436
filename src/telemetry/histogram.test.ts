// Tests of the log-linear histogram: Finagle's percentile rule, exactness below 128, and its error bound.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { EMPTY_SUMMARY, Histogram, MAX_VALUE } from "./histogram.ts";

function histogramOf(values: readonly number[]): Histogram {
  const h = new Histogram();
  for (const v of values) h.add(v);
  return h;
}

/** The exact percentile by Finagle's rule: the round(p * n)-th smallest value. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.round(p * sorted.length));
  return sorted[rank - 1]!;
}

describe("Histogram", () => {
  test("an empty histogram summarises to zeros", () => {
    const h = new Histogram();
    assert.equal(h.count, 0);
    assert.deepEqual(h.summary(), EMPTY_SUMMARY);
    assert.deepEqual(EMPTY_SUMMARY, {
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
  });

  test("one value is every statistic", () => {
    assert.deepEqual(histogramOf([1]).summary(), {
      count: 1,
      min: 1,
      max: 1,
      sum: 1,
      avg: 1,
      p50: 1,
      p90: 1,
      p95: 1,
      p99: 1,
      p9990: 1,
      p9999: 1,
    });
  });

  test("percentiles follow Finagle's rank rule (Linkerd's 1 and 2: p50 1, p90 2)", () => {
    const s = histogramOf([1, 2]).summary();
    assert.deepEqual([s.count, s.min, s.max, s.sum, s.avg], [2, 1, 2, 3, 1.5]);
    assert.deepEqual([s.p50, s.p90, s.p95, s.p99, s.p9990, s.p9999], [1, 2, 2, 2, 2, 2]);
  });

  test("values below 128 are exact", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = histogramOf(values).summary();
    assert.deepEqual([s.p50, s.p90, s.p95, s.p99, s.p9990, s.p9999], [50, 90, 95, 99, 100, 100]);
    assert.deepEqual([s.min, s.max, s.sum], [1, 100, 5050]);
  });

  test("values are truncated to integers; negatives and NaN count as 0", () => {
    const s = histogramOf([2.9, -5, Number.NaN, 0.4]).summary();
    assert.deepEqual([s.count, s.min, s.max, s.sum], [4, 0, 2, 2]);
  });

  test("huge values are clamped to the largest 32-bit unsigned integer", () => {
    const s = histogramOf([1e12, Number.POSITIVE_INFINITY]).summary();
    assert.deepEqual([s.min, s.max, s.p50, s.p9999], [MAX_VALUE, MAX_VALUE, MAX_VALUE, MAX_VALUE]);
    assert.equal(s.sum, 2 * MAX_VALUE);
  });

  test("percentiles stay within [min, max] even when a bucket's midpoint does not", () => {
    const s = histogramOf([1001, 1001, 1001]).summary();
    assert.deepEqual([s.min, s.p50, s.p9999, s.max], [1001, 1001, 1001, 1001]);
  });

  test("clear() forgets everything", () => {
    const h = histogramOf([5, 500, 50_000]);
    h.clear();
    assert.deepEqual(h.summary(), EMPTY_SUMMARY);
    h.add(7);
    assert.deepEqual([h.summary().min, h.summary().max, h.summary().p50], [7, 7, 7]);
  });

  test("every percentile is within 0.8% of the exact one (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: MAX_VALUE })), {
          minLength: 1,
          maxLength: 300,
        }),
        (values) => {
          const s = histogramOf(values).summary();
          const sorted = [...values].sort((a, b) => a - b);
          assert.equal(s.min, sorted[0]);
          assert.equal(s.max, sorted[sorted.length - 1]);
          assert.equal(
            s.sum,
            values.reduce((a, b) => a + b, 0),
          );
          const pairs: [number, number][] = [
            [s.p50, 0.5],
            [s.p90, 0.9],
            [s.p95, 0.95],
            [s.p99, 0.99],
            [s.p9990, 0.999],
            [s.p9999, 0.9999],
          ];
          for (const [got, p] of pairs) {
            const want = exactPercentile(sorted, p);
            assert.ok(Math.abs(got - want) <= want * 0.008, `p${p}: got ${got}, want ${want}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("percentiles are monotonic in p", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 200 }), (values) => {
        const s = histogramOf(values).summary();
        const ps = [s.min, s.p50, s.p90, s.p95, s.p99, s.p9990, s.p9999, s.max];
        for (let i = 1; i < ps.length; i++) assert.ok(ps[i - 1]! <= ps[i]!, ps.join(","));
      }),
    );
  });
});
