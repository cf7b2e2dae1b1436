// A routed request's decisions on an injected clock: retries within the budget and the time left, requeues
// within their share, no replay of what was not kept, deadlines, and the counts on endpoints and services.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scriptedRandom } from "../balancer/random.ts";
import { HeaderList } from "../http/header-list.ts";
import { AfterFailure } from "../http1/exchange-route.ts";
import { consecutiveFailures } from "../liveness/kinds.ts";
import { Addr, BoundName, Cell, Dtab, NameTree, readPath } from "../naming/index.ts";
import { constantBackoff } from "../retry/backoff.ts";
import { nonRetryable5XX, retryableRead5XX } from "../retry/response-classifier.ts";
import { Metrics } from "../telemetry/index.ts";
import { DEFAULT_CLIENT_POLICY, DEFAULT_SERVICE_POLICY, type ServicePolicy } from "./policy.ts";
import { ReplicaSet } from "./replica-set.ts";
import { Route } from "./route.ts";
import { Service } from "./service.ts";

function setup(service: Partial<ServicePolicy> = {}, deadline = Number.POSITIVE_INFINITY) {
  let t = 1000;
  const now = () => t;
  const metrics = new Metrics();
  const bound = new BoundName(
    readPath("/#/io.l5d.fs/web"),
    new Cell<Addr>(Addr.bound([Addr.address("127.0.0.1", 1), Addr.address("127.0.0.1", 2)])),
  );
  const client = new ReplicaSet(bound, {
    random: scriptedRandom([0.1, 0.6]),
    now,
    policy: { ...DEFAULT_CLIENT_POLICY, accrual: consecutiveFailures(2, constantBackoff(5000)) },
  });
  const svc = new Service(
    readPath("/svc/web"),
    { ...DEFAULT_SERVICE_POLICY, ...service },
    metrics.scope(["service", "svc/web"]),
    now,
  );
  const make = (method = "GET") => {
    const pick = client.pick();
    assert.equal(pick.kind, "endpoint");
    return new Route({
      ctx: {
        now,
        wallNow: () => 1_700_000_000_000 + t,
        random: Math.random,
        dtab: Dtab.empty,
        client: () => client,
      },
      service: svc,
      method,
      tree: NameTree.leaf(bound),
      local: Dtab.empty,
      client,
      endpoint: pick.kind === "endpoint" ? pick.endpoint : (undefined as never),
      headers: new HeaderList(),
      started: t,
      deadline,
    });
  };
  return {
    make,
    client,
    svc,
    metrics,
    advance: (ms: number) => {
      t += ms;
    },
    now,
  };
}

describe("Route", () => {
  it("retries a retryable 503 after the backoff while the budget lasts, then passes the 503 on", () => {
    const s = setup({ classifier: retryableRead5XX, retryBackoff: constantBackoff(25) });
    let retried = 0;
    let passed = 0;
    // The reserve of the default budget is 100 retries (10/s × 10 s); these requests deposit 20% each.
    for (let i = 0; i < 150; i++) {
      const r = s.make();
      r.startAttempt(new HeaderList(), s.now());
      if (r.response(503, [], true, s.now())) passed++;
      else {
        retried++;
        assert.equal(r.retryDelayMs, 25);
      }
      r.done(503);
    }
    assert.equal(retried, 100 + Math.floor(0.2 * 150) - 0, `retried ${retried}`);
    assert.equal(passed, 150 - retried);
    assert.equal(s.svc.retries.value, retried);
    assert.ok(s.svc.budgetExhausted.value > 0);
  });

  it("does not retry under nonRetryable5XX, nor what cannot be replayed, nor without time for the backoff", () => {
    const plain = setup();
    const a = plain.make();
    a.startAttempt(new HeaderList(), plain.now());
    assert.equal(a.response(503, [], true, plain.now()), true);
    assert.equal(a.successClass, "0.0");

    const s = setup({
      classifier: retryableRead5XX,
      retryBackoff: constantBackoff(100),
      totalTimeoutMs: 150,
    });
    const b = s.make();
    b.startAttempt(new HeaderList(), s.now());
    assert.equal(b.response(503, [], false, s.now()), true, "the body was not kept");
    const c = s.make();
    c.startAttempt(new HeaderList(), s.now());
    s.advance(60);
    assert.equal(c.response(503, [], true, s.now()), true, "60 ms in, 100 ms of backoff would pass 150 ms");
    const d = s.make();
    d.startAttempt(new HeaderList(), s.now());
    assert.equal(d.response(503, [], true, s.now()), false);
  });

  it("retries a 5XX carrying l5d-retryable: true even under nonRetryable5XX", () => {
    const s = setup({ classifier: nonRetryable5XX });
    const r = s.make("POST");
    r.startAttempt(new HeaderList(), s.now());
    assert.equal(r.response(502, ["L5d-Retryable", "true"], true, s.now()), false);
  });

  it("requeues connection failures at once, up to 20% of the requeue budget per request", () => {
    const s = setup();
    const r = s.make("POST");
    let requeues = 0;
    for (;;) {
      r.startAttempt(new HeaderList(), s.now());
      const next = r.failure("ECONNREFUSED", true, true, s.now());
      if (next !== AfterFailure.requeue) {
        assert.equal(next, AfterFailure.fail, "POST under nonRetryable5XX is not retried");
        break;
      }
      requeues++;
      assert.equal(r.repick(s.now()), undefined);
    }
    // The budget holds its reserve of 100 retries (10/s × 10 s) when the first failure asks: a fifth of it.
    assert.equal(requeues, 20);
    assert.equal(s.client.metrics.requeues.value, 20);
    assert.equal(s.client.metrics.requeueLimit.value, 1);
  });

  it("counts each attempt on its endpoint: load, and failure accrual that marks it dead", () => {
    const s = setup();
    const r = s.make();
    const first = r.endpoint;
    r.startAttempt(new HeaderList(), s.now());
    assert.equal(first.load, 1);
    r.failure("ECONNRESET", false, true, s.now());
    assert.equal(first.load, 0);
    r.done(undefined, "ECONNRESET");
    const again = s.make();
    const e = again.endpoint;
    again.startAttempt(new HeaderList(), s.now());
    again.failure("ECONNRESET", false, true, s.now());
    again.done(undefined, "ECONNRESET");
    if (e === first) assert.equal(first.isOpen(s.now()), false, "two failures in a row: dead");
    assert.equal(s.client.metrics.stats.requests.value, 2);
    assert.equal(s.client.metrics.stats.failures.value, 2);
  });

  it("expires at the earlier of totalTimeoutMs and the request's deadline, and says which", () => {
    const total = setup({ totalTimeoutMs: 300 });
    const a = total.make();
    assert.equal(a.expiresAt, 1300);
    assert.match(a.expired().message, /exceeded 300\.milliseconds/);
    const own = setup({ totalTimeoutMs: 300 }, 1100);
    const b = own.make();
    assert.equal(b.expiresAt, 1100);
    assert.match(b.expired().message, /deadline/);
    const h = new HeaderList();
    assert.equal(b.startAttempt(h, own.now()), 1100);
    assert.equal(h.get("l5d-ctx-deadline"), "1700000001000000000 1700000001100000000");
  });
});
