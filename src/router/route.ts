// A routed request across its attempts: picks, timeouts, classification, retries within budgets, requeues.

import type { Random } from "../balancer/random.ts";
import { setDeadline } from "../http/ctx-deadline.ts";
import type { HeaderList } from "../http/header-list.ts";
import { setDstBound } from "../http/linkerd-headers.ts";
import { AfterFailure, type ExchangeRoute } from "../http1/exchange-route.ts";
import type { BoundName, Dtab, NameTree } from "../naming/index.ts";
import { ResponseClass, successClassValue } from "../retry/response-classifier.ts";
import type { Endpoint } from "./endpoint.ts";
import { pickLeaf } from "./pick-leaf.ts";
import type { ReplicaSet } from "./replica-set.ts";
import { noBrokers, RouterError, totalTimeout } from "./router-errors.ts";
import type { Service } from "./service.ts";

/** What every route of a router shares: clocks, randomness, the clients, the router's dtab for messages. */
export interface RouteContext {
  readonly now: () => number;
  /** Milliseconds since the epoch, for `l5d-ctx-deadline`. */
  readonly wallNow: () => number;
  readonly random: Random;
  readonly dtab: Dtab;
  client(bound: BoundName): ReplicaSet;
}

/** Finagle's share of the requeue budget one request may use (RequeueFilter's maxRetriesPerReq). */
const MAX_REQUEUES_PER_REQUEST = 0.2;

/** Whether a response head carries `l5d-retryable: true`. */
function retryableHeader(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === "l5d-retryable") {
      return (raw[i + 1] as string).trim().toLowerCase() === "true";
    }
  }
  return false;
}

export interface RouteOptions {
  readonly ctx: RouteContext;
  readonly service: Service;
  readonly method: string;
  /** The bound tree the name resolved to (a retry may take another branch of a Union). */
  readonly tree: NameTree<BoundName>;
  readonly local: Dtab;
  readonly client: ReplicaSet;
  readonly endpoint: Endpoint;
  /** The request headers, rewritten when a retry goes to another client. */
  readonly headers: HeaderList;
  readonly started: number;
  /** When the request's own deadline (`l5d-ctx-deadline`) passes, on the router's clock; Infinity for none. */
  readonly deadline: number;
}

/**
 * A request from its routing to its answer. Each attempt is counted on its client (requests, load, failure
 * accrual); the request itself on its service. A retryable failure (by the service's classifier) is retried
 * after the service's backoff while its retry budget, the time left and the replay buffer allow; a connection
 * failure that left nothing upstream is requeued at once on the client's requeue budget.
 */
export class Route implements ExchangeRoute {
  endpoint: Endpoint;
  client: ReplicaSet;
  readonly expiresAt: number;
  readonly replayBytes: number;
  retryDelayMs = 0;
  successClass: string | undefined;
  succeeded = true;
  readonly #o: RouteOptions;
  readonly #service: Service;
  /** Whether `expiresAt` is the request's own deadline rather than totalTimeoutMs. */
  readonly #byDeadline: boolean;
  #attemptOpen = false;
  #attemptStarted = 0;
  #retries = 0;
  #backoff = 0;
  #requeues = 0;
  #maxRequeues = -1;
  /** The next attempt is a requeue (same client) rather than a retry (back through the name tree). */
  #requeueing = false;
  #done = false;

  constructor(o: RouteOptions) {
    this.#o = o;
    this.#service = o.service;
    this.client = o.client;
    this.endpoint = o.endpoint;
    const total = o.service.policy.totalTimeoutMs;
    const byTotal = total === undefined ? Number.POSITIVE_INFINITY : o.started + total;
    this.#byDeadline = o.deadline < byTotal;
    this.expiresAt = Math.min(byTotal, o.deadline);
    this.replayBytes = o.service.policy.retryBufferRequestBytes;
    o.service.budget.deposit(o.started);
  }

  startAttempt(headers: HeaderList, now: number): number {
    this.#attemptOpen = true;
    this.#attemptStarted = now;
    const client = this.client;
    const endpoint = this.endpoint;
    client.balancer.started(endpoint, now);
    endpoint.accrual?.started(now);
    client.requeueBudget.deposit(now);
    client.metrics.stats.started();
    let limit = this.expiresAt;
    const attemptMs = client.policy.requestAttemptTimeoutMs;
    if (attemptMs !== undefined && now + attemptMs < limit) limit = now + attemptMs;
    if (limit !== Number.POSITIVE_INFINITY) setDeadline(headers, this.#o.ctx.wallNow(), limit - now);
    return limit;
  }

  /** Ends the open attempt: balancer load and latency, failure accrual (unless `success` is undefined), stats. */
  #endAttempt(now: number, status: number | undefined, success: boolean | undefined, failure?: string): void {
    if (!this.#attemptOpen) return;
    this.#attemptOpen = false;
    const client = this.client;
    const endpoint = this.endpoint;
    const ms = now - this.#attemptStarted;
    client.balancer.finished(endpoint, now, ms);
    if (success === true) endpoint.accrual?.succeeded(now);
    else if (success === false) endpoint.accrual?.failed(now);
    client.metrics.stats.finished(status, ms, failure, success);
  }

  response(status: number, raw: readonly string[], replayable: boolean, now: number): boolean {
    const cls = this.#service.policy.classifier.response(
      this.#o.method,
      status,
      status >= 500 && retryableHeader(raw),
    );
    this.#endAttempt(now, status, cls === ResponseClass.success);
    if (cls === ResponseClass.retryableFailure && this.#mayRetry(replayable, now)) return false;
    this.successClass = successClassValue(cls);
    this.succeeded = cls === ResponseClass.success;
    return true;
  }

  failure(code: string, requeueable: boolean, replayable: boolean, now: number): AfterFailure {
    this.#endAttempt(now, undefined, false, code);
    if (requeueable && replayable && this.#mayRequeue()) return AfterFailure.requeue;
    const cls = this.#service.policy.classifier.failure(this.#o.method);
    if (cls === ResponseClass.retryableFailure && this.#mayRetry(replayable, now)) return AfterFailure.retry;
    this.succeeded = false;
    return AfterFailure.fail;
  }

  #mayRequeue(): boolean {
    const client = this.client;
    if (this.#maxRequeues < 0) {
      this.#maxRequeues = Math.ceil(MAX_REQUEUES_PER_REQUEST * client.requeueBudget.balance);
    }
    if (this.#requeues >= this.#maxRequeues) {
      client.metrics.requeueLimit.incr();
      return false;
    }
    if (!client.requeueBudget.tryWithdraw()) {
      client.metrics.requeueBudgetExhausted.incr();
      return false;
    }
    this.#requeues++;
    client.metrics.requeues.incr();
    this.#requeueing = true;
    return true;
  }

  #mayRetry(replayable: boolean, now: number): boolean {
    if (!replayable) return false;
    const service = this.#service;
    const delay = service.policy.retryBackoff.delay(this.#retries, this.#backoff, this.#o.ctx.random);
    // No time for the wait and another attempt: the failure is the answer.
    if (now + delay >= this.expiresAt) return false;
    if (!service.budget.tryWithdraw()) {
      service.budgetExhausted.incr();
      return false;
    }
    this.#backoff = delay;
    this.#retries++;
    service.retries.incr();
    this.retryDelayMs = delay;
    this.#requeueing = false;
    return true;
  }

  repick(now: number): RouterError | undefined {
    const ctx = this.#o.ctx;
    if (!this.#requeueing) {
      // A retry goes back through the name: a Union may send it to another client.
      const leaf = pickLeaf(this.#o.tree, ctx.random);
      if (leaf.kind === "none") return noBrokers(this.#service.path.show, ctx.dtab, this.#o.local, leaf.why);
      if (!leaf.bound.id.equals(this.client.id)) {
        this.client = ctx.client(leaf.bound);
        setDstBound(this.#o.headers, leaf.bound.id, leaf.bound.residual);
      }
    }
    const pick = this.client.pick(now);
    if (pick.kind !== "endpoint") {
      const why = pick.kind === "none" ? pick.why : "its addresses are not known yet";
      return noBrokers(this.client.id.show, ctx.dtab, this.#o.local, why);
    }
    this.endpoint = pick.endpoint;
    return undefined;
  }

  done(status: number | undefined, failure?: string): void {
    if (this.#done) return;
    this.#done = true;
    const now = this.#o.ctx.now();
    // An attempt cut short (by the total timeout or the client) counts against no endpoint.
    this.#endAttempt(now, status, undefined, failure);
    if (status === undefined) this.succeeded = false;
    const service = this.#service;
    service.stats.finished(status, now - this.#o.started, failure, this.succeeded);
    service.retriesPerRequest.add(this.#retries);
  }

  expired(): RouterError {
    if (this.#byDeadline) {
      return new RouterError(503, "the request's deadline (l5d-ctx-deadline) passed before it was answered");
    }
    return totalTimeout(this.#service.policy.totalTimeoutMs ?? 0);
  }

  attemptTimedOut(): RouterError {
    const ms = this.client.policy.requestAttemptTimeoutMs ?? 0;
    return new RouterError(
      503,
      `exceeded ${ms}.milliseconds to ${this.endpoint.key} while waiting for a response for an individual request, excluding retries`,
    );
  }

  poolExhausted(): RouterError {
    const max = this.client.policy.pool.maxWaiters;
    return new RouterError(
      503,
      `too many requests waiting for a connection to ${this.endpoint.key} (hostConnectionPool.maxWaiters ${max})`,
      true,
    );
  }
}
