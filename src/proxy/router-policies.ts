// Builds a router's service and client policy tables from its `service` and `client` config blocks.

import type { ClientParamsConfig, PrefixConfig, ServiceParamsConfig } from "../config/policy-schema.ts";
import { failureAccrualKinds, loadBalancerKinds, responseClassifierKinds } from "../plugins.ts";
import { backoffOf } from "../retry/backoff.ts";
import {
  type ClientPolicy,
  DEFAULT_CLIENT_POLICY,
  DEFAULT_SERVICE_POLICY,
  type ServicePolicy,
} from "../router/policy.ts";
import { PolicyTable } from "../router/policy-table.ts";

/** Each config's keys as policy fields; plugins (classifiers, balancers, accrual) are made once, here. */
export function servicePolicies(
  configs: readonly PrefixConfig<ServiceParamsConfig>[],
): PolicyTable<ServicePolicy> {
  return new PolicyTable(
    configs.map(({ prefix, params: c }) => {
      const p: { -readonly [K in keyof ServicePolicy]?: ServicePolicy[K] } = {};
      if (c.totalTimeoutMs !== undefined) p.totalTimeoutMs = c.totalTimeoutMs;
      // As in Linkerd, a `retries` block sets the budget and the backoff separately: a later config that gives
      // only a backoff keeps an earlier config's budget.
      if (c.retries?.budget !== undefined) p.retryBudget = c.retries.budget;
      if (c.retries?.backoff !== undefined) p.retryBackoff = backoffOf(c.retries.backoff);
      if (c.responseClassifier !== undefined)
        p.classifier = responseClassifierKinds.make(c.responseClassifier);
      if (c.retryBufferSize !== undefined) {
        p.retryBufferRequestBytes = c.retryBufferSize.requestBytes;
        p.retryBufferResponseBytes = c.retryBufferSize.responseBytes;
      }
      return { prefix, params: p };
    }),
    DEFAULT_SERVICE_POLICY,
  );
}

export function clientPolicies(
  configs: readonly PrefixConfig<ClientParamsConfig>[],
): PolicyTable<ClientPolicy> {
  const d = DEFAULT_CLIENT_POLICY;
  return new PolicyTable(
    configs.map(({ prefix, params: c }) => {
      const p: { -readonly [K in keyof ClientPolicy]?: ClientPolicy[K] } = {};
      if (c.loadBalancer !== undefined) p.balancer = loadBalancerKinds.make(c.loadBalancer);
      if (c.failureAccrual !== undefined) p.accrual = failureAccrualKinds.make(c.failureAccrual);
      const pool = c.hostConnectionPool;
      if (pool !== undefined) {
        p.pool = {
          minSize: pool.minSize,
          maxSize: pool.maxSize ?? d.pool.maxSize,
          idleTimeMs: pool.idleTimeMs ?? d.pool.idleTimeMs,
          maxWaiters: pool.maxWaiters ?? d.pool.maxWaiters,
        };
      }
      if (c.requestAttemptTimeoutMs !== undefined) p.requestAttemptTimeoutMs = c.requestAttemptTimeoutMs;
      if (c.requeueBudget !== undefined) p.requeueBudget = c.requeueBudget;
      if (c.clientSession?.idleTimeMs !== undefined) p.sessionIdleTimeMs = c.clientSession.idleTimeMs;
      if (c.clientSession?.lifeTimeMs !== undefined) p.connectionLifeTimeMs = c.clientSession.lifeTimeMs;
      return { prefix, params: p };
    }),
    d,
  );
}
