// The policies a router applies: per service (timeouts, retries, classification) and per client (balancing, accrual, pool).

import type { BalancerFactory } from "../balancer/kinds.ts";
import { p2c } from "../balancer/kinds.ts";
import { type AccrualFactory, DEFAULT_ACCRUAL } from "../liveness/kinds.ts";
import { type Backoff, constantBackoff } from "../retry/backoff.ts";
import { nonRetryable5XX, type ResponseClassifier } from "../retry/response-classifier.ts";
import { DEFAULT_RETRY_BUDGET, type RetryBudgetConfig } from "../retry/retry-budget.ts";

/** Linkerd's service parameters, for one logical name (`service` block). */
export interface ServicePolicy {
  /** The whole request, all retries included (`totalTimeoutMs`); undefined for none. */
  readonly totalTimeoutMs: number | undefined;
  /** `responseClassifier` (default `io.l5d.http.nonRetryable5XX`). */
  readonly classifier: ResponseClassifier;
  /** `retries.budget`. */
  readonly retryBudget: RetryBudgetConfig;
  /** `retries.backoff` (default constant 0). */
  readonly retryBackoff: Backoff;
  /** `retryBufferSize.requestBytes`: request bodies up to this size are kept so that they can be sent again. */
  readonly retryBufferRequestBytes: number;
  /** `retryBufferSize.responseBytes`: accepted for Linkerd's h2 configs; HTTP/1.1 classifies on the head alone. */
  readonly retryBufferResponseBytes: number;
}

export const DEFAULT_SERVICE_POLICY: ServicePolicy = Object.freeze({
  totalTimeoutMs: undefined,
  classifier: nonRetryable5XX,
  retryBudget: DEFAULT_RETRY_BUDGET,
  retryBackoff: constantBackoff(0),
  retryBufferRequestBytes: 65_535,
  retryBufferResponseBytes: 65_535,
});

/** Linkerd's `hostConnectionPool`, per endpoint. */
export interface PoolLimits {
  /** Idle connections kept open whatever their idle time (`minSize`, default 0). */
  readonly minSize: number;
  /** Connections at most, busy or idle (`maxSize`, default unlimited). */
  readonly maxSize: number;
  /** How long a connection beyond `minSize` may stay idle (`idleTimeMs`). */
  readonly idleTimeMs: number;
  /** Requests that may wait for a connection when `maxSize` are busy (`maxWaiters`); more are refused (503). */
  readonly maxWaiters: number;
}

/** Linkerd's client parameters, for one bound id (`client` block). */
export interface ClientPolicy {
  readonly balancer: BalancerFactory;
  readonly accrual: AccrualFactory;
  readonly pool: PoolLimits;
  /** Each attempt, original or retry (`requestAttemptTimeoutMs`); undefined for none. */
  readonly requestAttemptTimeoutMs: number | undefined;
  /** Budget of immediate re-sends after connection failures (`requeueBudget`). */
  readonly requeueBudget: RetryBudgetConfig;
  /** `clientSession.idleTimeMs`: an idle connection is closed after this (also bounds `pool.idleTimeMs`). */
  readonly sessionIdleTimeMs: number | undefined;
  /** `clientSession.lifeTimeMs`: a connection older than this is closed instead of reused. */
  readonly connectionLifeTimeMs: number | undefined;
}

export const DEFAULT_CLIENT_POLICY: ClientPolicy = Object.freeze({
  balancer: p2c(),
  accrual: DEFAULT_ACCRUAL,
  pool: Object.freeze({
    minSize: 0,
    maxSize: Number.POSITIVE_INFINITY,
    // Linkerd keeps idle connections forever by default; a minute keeps sockets from piling up on endpoints
    // that are no longer used, and is long enough that busy clients never churn.
    idleTimeMs: 60_000,
    maxWaiters: Number.POSITIVE_INFINITY,
  }),
  requestAttemptTimeoutMs: undefined,
  requeueBudget: DEFAULT_RETRY_BUDGET,
  sessionIdleTimeMs: undefined,
  connectionLifeTimeMs: undefined,
});
