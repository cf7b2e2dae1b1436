// Failure accrual for one endpoint (Finagle's FailureAccrualFactory): alive, dead for a backoff, probed, revived.

import type { AccrualPolicy } from "./accrual-policy.ts";

/** Where an endpoint's removals, revivals and probes are counted (the client's `failure_accrual/*`). */
export interface AccrualCounters {
  readonly removals: { incr(n?: number): void };
  readonly revivals: { incr(n?: number): void };
  readonly probes: { incr(n?: number): void };
  readonly removedForMs: { incr(n?: number): void };
}

/**
 * - `alive`: takes requests; outcomes go to the policy.
 * - `dead`: the policy marked it dead until `#until`; balancers avoid it (it is "busy"), though a request can
 *   still be sent to it when every endpoint is dead, and such outcomes change nothing.
 * - `probeOpen`: the time is up; the next request is a probe.
 * - `probeClosed`: a probe is out; busy again until its outcome: success revives, failure asks the policy.
 */
export type AccrualState = "alive" | "dead" | "probeOpen" | "probeClosed";

/**
 * The accrual state of one endpoint. The clock is read when asked (`isOpen(now)`), never by a timer: a dead
 * endpoint becomes open for a probe when its time is up and someone looks.
 */
export class FailureAccrual {
  readonly #policy: AccrualPolicy;
  readonly #counters: AccrualCounters | undefined;
  #state: AccrualState = "alive";
  #until = 0;

  constructor(policy: AccrualPolicy, counters?: AccrualCounters) {
    this.#policy = policy;
    this.#counters = counters;
  }

  state(now: number): AccrualState {
    if (this.#state === "dead" && now >= this.#until) this.#state = "probeOpen";
    return this.#state;
  }

  /** Whether balancers should send it requests: alive, or due for a probe. */
  isOpen(now: number): boolean {
    const s = this.state(now);
    return s === "alive" || s === "probeOpen";
  }

  /** A request is being sent to it: if a probe was due, this request is the probe. */
  started(now: number): void {
    if (this.state(now) === "probeOpen") {
      this.#state = "probeClosed";
      this.#counters?.probes.incr();
    }
  }

  succeeded(now: number): void {
    if (this.#state === "probeClosed") {
      this.#counters?.revivals.incr();
      this.#policy.revived();
      this.#state = "alive";
    }
    this.#policy.recordSuccess(now);
  }

  failed(now: number): void {
    const s = this.state(now);
    if (s !== "alive" && s !== "probeClosed") return;
    const deadFor = this.#policy.markDeadOnFailure(now);
    if (deadFor !== undefined) {
      this.#state = "dead";
      this.#until = now + deadFor;
      this.#counters?.removals.incr();
      this.#counters?.removedForMs.incr(deadFor);
    } else if (s === "probeClosed") {
      // The probe failed but the policy does not call it dead: probe again with the next request.
      this.#state = "probeOpen";
    }
  }
}
