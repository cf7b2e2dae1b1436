// Linkerd's failure accrual kinds (client.failureAccrual) as factories of per-endpoint accrual state.

import type { Random } from "../balancer/random.ts";
import { type Backoff, equalJitteredBackoff } from "../retry/backoff.ts";
import { ConsecutiveFailures, SuccessRate, SuccessRateWindowed } from "./accrual-policy.ts";
import { type AccrualCounters, FailureAccrual } from "./failure-accrual.ts";

/** Makes the accrual state of each endpoint of a client; `none` makes nothing (endpoints are always open). */
export interface AccrualFactory {
  readonly kind: string;
  make(random: Random, counters?: AccrualCounters): FailureAccrual | undefined;
}

/** Linkerd's default backoff for a dead endpoint: equal jitter from 5 s to 300 s. */
export const DEFAULT_ACCRUAL_BACKOFF: Backoff = equalJitteredBackoff(5000, 300_000);

/** `io.l5d.consecutiveFailures`; with 5 failures and the default backoff, Linkerd's default accrual. */
export function consecutiveFailures(failures: number, backoff = DEFAULT_ACCRUAL_BACKOFF): AccrualFactory {
  return {
    kind: "io.l5d.consecutiveFailures",
    make: (random, counters) =>
      new FailureAccrual(new ConsecutiveFailures(failures, backoff, random), counters),
  };
}

/** `io.l5d.successRate`: `successRate` over about `requests` requests. */
export function successRate(
  rate: number,
  requests: number,
  backoff = DEFAULT_ACCRUAL_BACKOFF,
): AccrualFactory {
  return {
    kind: "io.l5d.successRate",
    make: (random, counters) =>
      new FailureAccrual(new SuccessRate(rate, requests, backoff, random), counters),
  };
}

/** `io.l5d.successRateWindowed`: `successRate` over `windowSecs` seconds. */
export function successRateWindowed(
  rate: number,
  windowSecs: number,
  backoff = DEFAULT_ACCRUAL_BACKOFF,
): AccrualFactory {
  return {
    kind: "io.l5d.successRateWindowed",
    make: (random, counters) =>
      new FailureAccrual(new SuccessRateWindowed(rate, windowSecs, backoff, random), counters),
  };
}

/** `none`: no failure accrual. */
export const noAccrual: AccrualFactory = { kind: "none", make: () => undefined };

/** What a client uses when its config says nothing: 5 consecutive failures, then 5 s to 300 s. */
export const DEFAULT_ACCRUAL: AccrualFactory = consecutiveFailures(5);
