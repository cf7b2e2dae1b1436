// ReplicaSet: the client of one bound name: follows its changing Addr, keeps an Endpoint per address, balances.

import type { Balancer } from "../balancer/balancer.ts";
import type { Random } from "../balancer/random.ts";
import { Addr, type BoundName, type Closable, type Path } from "../naming/index.ts";
import { RetryBudget } from "../retry/retry-budget.ts";
import { Metrics } from "../telemetry/index.ts";
import { ClientMetrics } from "./client-metrics.ts";
import { Endpoint, type EndpointOptions } from "./endpoint.ts";
import { type ClientPolicy, DEFAULT_CLIENT_POLICY } from "./policy.ts";
import { WaitList } from "./wait-list.ts";

/** What a pick gives: an endpoint, or why there is none (the Addr is Neg, Failed, empty) or none yet (Pending). */
export type Pick =
  | { kind: "endpoint"; endpoint: Endpoint }
  | { kind: "none"; why: string }
  | { kind: "pending" };

export interface ReplicaSetOptions {
  readonly random: Random;
  readonly now: () => number;
  readonly policy?: ClientPolicy;
  readonly endpoint?: EndpointOptions;
  /** The client's metrics (`rt/<r>/client/<id>`); a detached set when left out. */
  readonly metrics?: ClientMetrics;
}

export class ReplicaSet {
  readonly id: Path;
  readonly policy: ClientPolicy;
  /** Picks endpoints; counts their load (Linkerd's `loadBalancer`). */
  readonly balancer: Balancer<Endpoint>;
  /** Immediate re-sends after connection failures (Linkerd's `requeueBudget`). */
  readonly requeueBudget: RetryBudget;
  readonly metrics: ClientMetrics;
  readonly #o: ReplicaSetOptions;
  readonly #endpointOptions: EndpointOptions;
  readonly #endpoints = new Map<string, Endpoint>();
  #list: Endpoint[] = [];
  #addr: Addr = Addr.pending;
  #sub: Closable | undefined;
  readonly #ready = new WaitList();
  lastUsed: number;

  constructor(bound: BoundName, options: ReplicaSetOptions) {
    this.id = bound.id;
    this.#o = options;
    const policy = options.policy ?? DEFAULT_CLIENT_POLICY;
    this.policy = policy;
    this.balancer = policy.balancer.make<Endpoint>(options.random);
    this.requeueBudget = new RetryBudget(policy.requeueBudget, options.now);
    this.metrics = options.metrics ?? new ClientMetrics(new Metrics().scope("client"));
    this.#endpointOptions = {
      ...options.endpoint,
      idleTimeMs: Math.min(policy.pool.idleTimeMs, policy.sessionIdleTimeMs ?? Number.POSITIVE_INFINITY),
      minIdle: policy.pool.minSize,
      maxSize: policy.pool.maxSize,
      maxWaiters: policy.pool.maxWaiters,
      lifeTimeMs: policy.connectionLifeTimeMs,
    };
    this.lastUsed = options.now();
    this.#sub = bound.addr.observe((a) => this.#update(a));
  }

  get addr(): Addr {
    return this.#addr;
  }

  get endpoints(): readonly Endpoint[] {
    return this.#list;
  }

  #update(addr: Addr): void {
    this.#addr = addr;
    if (addr.kind === "bound") {
      const seen = new Set<string>();
      for (const a of addr.addrs) {
        const key = Endpoint.keyOf(a);
        seen.add(key);
        const existing = this.#endpoints.get(key);
        if (existing) existing.weight = Addr.weightOf(a);
        else {
          const accrual = this.policy.accrual.make(this.#o.random, this.metrics.accrual);
          this.#endpoints.set(key, new Endpoint(a, this.#endpointOptions, accrual));
        }
      }
      for (const [key, e] of this.#endpoints) {
        if (!seen.has(key)) {
          this.#endpoints.delete(key);
          // In-flight requests finish on their sockets; idle ones close now.
          e.close();
        }
      }
      this.#list = [...this.#endpoints.values()];
      this.balancer.update(this.#list);
    }
    // Neg and Failed keep the endpoints of the last Bound answer out of use but do not tear them down.
    if (addr.kind !== "pending") this.#ready.wake();
  }

  pick(now = this.#o.now()): Pick {
    const a = this.#addr;
    switch (a.kind) {
      case "pending":
        return { kind: "pending" };
      case "neg":
        return { kind: "none", why: "the name does not exist (Neg)" };
      case "failed": {
        // Discovery is failing: keep using the last good addresses, if there were any (last known good).
        const e = this.balancer.pick(now);
        return e ? { kind: "endpoint", endpoint: e } : { kind: "none", why: `resolution failed: ${a.cause}` };
      }
      case "bound": {
        const e = this.balancer.pick(now);
        return e ? { kind: "endpoint", endpoint: e } : { kind: "none", why: "no endpoints" };
      }
    }
  }

  /** Endpoints that failure accrual has not marked dead (`loadbalancer/available`). */
  available(now = this.#o.now()): number {
    let n = 0;
    for (const e of this.#list) if (e.isOpen(now)) n++;
    return n;
  }

  /** Resolves true once the Addr is no longer Pending (at once if it is not), false after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.#addr.kind !== "pending") return true;
    await this.#ready.wait(timeoutMs);
    return this.#addr.kind !== "pending";
  }

  close(): void {
    this.#sub?.close();
    this.#sub = undefined;
    for (const e of this.#endpoints.values()) e.close();
    this.#endpoints.clear();
    this.#list = [];
    this.balancer.update([]);
    this.#ready.wake();
  }
}
