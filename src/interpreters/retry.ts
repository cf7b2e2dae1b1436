// How the namerd interpreters wait between attempts: Linkerd's `retry` {baseSeconds, maxSeconds}, jittered exponential.

/** Linkerd's `retry` config of the namerd interpreters (defaults 5 s and 600 s). */
export interface RetryConfig {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

export const DEFAULT_RETRY: RetryConfig = { baseSeconds: 5, maxSeconds: 600 };

/**
 * Finagle's `Backoff.exponentialJittered(base, max)`: the first wait is `base`; wait `n` is drawn from
 * (0, min(base × 2^n, max)], so that proxies that lost namerd together do not all come back at the same instant.
 */
export function retryDelayMs(config: RetryConfig, attempt: number, random: () => number): number {
  const baseMs = config.baseSeconds * 1000;
  const maxMs = config.maxSeconds * 1000;
  if (attempt <= 0) return Math.min(baseMs, maxMs);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.ceil(random() * ceiling));
}
