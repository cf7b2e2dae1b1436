// Backoff schedules as Finagle defines them: constant, decorrelated jitter (Linkerd's `jittered`), equal jitter.

import type { Random } from "../balancer/random.ts";

/**
 * A schedule of waits. `delay(n, previous)` is the wait before retry number `n` (0 for the first), given the
 * wait before the one before; keeping `n` and `previous` is the caller's job, so a schedule is shared by every
 * request and costs nothing per request.
 */
export interface Backoff {
  delay(n: number, previous: number, random: Random): number;
}

/** The same wait every time (Linkerd's `constant`, `ms` default 0). */
export function constantBackoff(ms: number): Backoff {
  return { delay: () => ms };
}

/**
 * Linkerd's `jittered`: decorrelated jitter (Finagle's `Backoff.decorrelatedJittered`). The first wait is `minMs`;
 * each next one is drawn from [minMs, 3 × previous), never above `maxMs`.
 */
export function decorrelatedJitteredBackoff(minMs: number, maxMs: number): Backoff {
  return {
    delay(n, previous, random) {
      if (n === 0) return Math.min(minMs, maxMs);
      const range = Math.abs(previous * 3 - minMs);
      const next = range === 0 ? minMs : minMs + Math.floor(random() * range);
      return Math.min(next, maxMs);
    },
  };
}

/**
 * Finagle's `Backoff.equalJittered`, the failure-accrual default (5 s to 300 s): the first wait is `startMs`;
 * wait `n` is half of `startMs × 2^n` (capped at `maxMs`) plus a random part of up to the other half.
 */
export function equalJitteredBackoff(startMs: number, maxMs: number): Backoff {
  return {
    delay(n, _previous, random) {
      if (n === 0) return Math.min(startMs, maxMs);
      // 2^n overflows nothing that matters: past about 2^30 the cap has long been reached.
      const half = Math.min(maxMs, startMs * 2 ** Math.min(n, 30)) / 2;
      return Math.floor(half + random() * half);
    },
  };
}

/** Linkerd's backoff config: `{kind: constant, ms}` or `{kind: jittered, minMs, maxMs}`. */
export type BackoffConfig =
  | { readonly kind: "constant"; readonly ms: number }
  | { readonly kind: "jittered"; readonly minMs: number; readonly maxMs: number };

export function backoffOf(config: BackoffConfig): Backoff {
  return config.kind === "constant"
    ? constantBackoff(config.ms)
    : decorrelatedJitteredBackoff(config.minMs, config.maxMs);
}
