// service and client blocks: io.l5d.global and io.l5d.static, later matching configs overriding earlier keys.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateLinkerConfig } from "../config/load-linker.ts";
import { parseConfigText } from "../config/read-config.ts";
import { readPath } from "../naming/index.ts";
import { DEFAULT_RETRY_BUDGET } from "../retry/retry-budget.ts";
import { DEFAULT_CLIENT_POLICY, DEFAULT_SERVICE_POLICY } from "../router/policy.ts";
import { clientPolicies, servicePolicies } from "./router-policies.ts";

function router(yaml: string) {
  const config = validateLinkerConfig(
    parseConfigText(`routers:\n- protocol: http\n  servers: [{port: 0}]\n${yaml}`, "test"),
  );
  const rc = config.routers[0]!;
  return { services: servicePolicies(rc.service), clients: clientPolicies(rc.client) };
}

describe("service and client policy", () => {
  it("uses Linkerd's defaults with no block", () => {
    const { services, clients } = router("");
    const s = services.resolve(readPath("/svc/web"));
    assert.equal(s.classifier.kind, "io.l5d.http.nonRetryable5XX");
    assert.equal(s.totalTimeoutMs, undefined);
    assert.deepEqual(s.retryBudget, DEFAULT_RETRY_BUDGET);
    assert.equal(s.retryBackoff.delay(0, 0, Math.random), 0);
    assert.equal(s.retryBufferRequestBytes, 65_535);
    const c = clients.resolve(readPath("/$/inet/127.1/80"));
    assert.equal(c.balancer.kind, "p2c");
    assert.equal(c.accrual.kind, "io.l5d.consecutiveFailures");
    assert.equal(c.pool.maxSize, Number.POSITIVE_INFINITY);
    assert.deepEqual(c.requeueBudget, DEFAULT_RETRY_BUDGET);
    assert.equal(DEFAULT_SERVICE_POLICY.classifier, s.classifier);
    assert.equal(DEFAULT_CLIENT_POLICY.requestAttemptTimeoutMs, c.requestAttemptTimeoutMs);
  });

  it("io.l5d.global applies everywhere; kind may be left out", () => {
    const { services, clients } = router(`  service:
    totalTimeoutMs: 500
    retries: {budget: {percentCanRetry: 0.5}, backoff: {kind: jittered, minMs: 10, maxMs: 100}}
  client:
    kind: io.l5d.global
    loadBalancer: {kind: ewma, decayTimeMs: 1000}
    failureAccrual: {kind: none}
    hostConnectionPool: {maxSize: 10}
`);
    const s = services.resolve(readPath("/anything"));
    assert.equal(s.totalTimeoutMs, 500);
    assert.deepEqual(s.retryBudget, { minRetriesPerSec: 10, percentCanRetry: 0.5, ttlSecs: 10 });
    assert.equal(s.retryBackoff.delay(0, 0, Math.random), 10);
    const c = clients.resolve(readPath("/#/io.l5d.fs/web"));
    assert.equal(c.balancer.kind, "ewma");
    assert.equal(c.accrual.kind, "none");
    assert.deepEqual(c.pool, {
      minSize: 0,
      maxSize: 10,
      idleTimeMs: 60_000,
      maxWaiters: Number.POSITIVE_INFINITY,
    });
  });

  it("io.l5d.static: every matching prefix applies, later keys override, retries' budget and backoff apart", () => {
    const { services, clients } = router(`  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      totalTimeoutMs: 1000
      retries: {budget: {percentCanRetry: 0.5}}
    - prefix: /svc/web
      totalTimeoutMs: 200
      retries: {backoff: {kind: constant, ms: 5}}
    - prefix: /svc/*/v2
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      loadBalancer: {kind: roundRobin}
    - prefix: /#/io.l5d.fs/{service}
      requestAttemptTimeoutMs: 50
    - prefix: /$/inet/*/80
      loadBalancer: {kind: heap}
`);
    const web = services.resolve(readPath("/svc/web"));
    assert.equal(web.totalTimeoutMs, 200);
    assert.equal(web.retryBudget.percentCanRetry, 0.5, "the earlier config's budget stays");
    assert.equal(web.retryBackoff.delay(0, 0, Math.random), 5);
    assert.equal(web.classifier.kind, "io.l5d.http.nonRetryable5XX");
    const v2 = services.resolve(readPath("/svc/web/v2/x"));
    assert.equal(v2.classifier.kind, "io.l5d.http.retryableRead5XX");
    assert.equal(v2.totalTimeoutMs, 200);
    assert.equal(services.resolve(readPath("/other")).totalTimeoutMs, undefined);
    const fs = clients.resolve(readPath("/#/io.l5d.fs/web"));
    assert.equal(fs.balancer.kind, "roundRobin");
    assert.equal(fs.requestAttemptTimeoutMs, 50);
    assert.equal(clients.resolve(readPath("/#/io.l5d.fs")).requestAttemptTimeoutMs, undefined);
    assert.equal(clients.resolve(readPath("/$/inet/127.1/80")).balancer.kind, "heap");
    assert.equal(clients.resolve(readPath("/$/inet/127.1/81")).balancer.kind, "p2c");
  });
});
