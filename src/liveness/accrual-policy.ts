// Failure accrual policies (Finagle's FailureAccrualPolicy): when an endpoint has failed enough to be marked dead.

import type { Random } from "../balancer/random.ts";
import type { Backoff } from "../retry/backoff.ts";
import { Ema } from "./ema.ts";

/**
 * Decides, from the outcomes of one endpoint's requests, when to mark it dead and for how long. One policy
 * object per endpoint; it keeps the position in its backoff schedule until the endpoint is revived.
 */
export interface AccrualPolicy {
  recordSuccess(now: number): void;
  /** Records a failure; returns how long to mark the endpoint dead (ms), or undefined to keep it. */
  markDeadOnFailure(now: number): number | undefined;
  /** The endpoint was revived by a successful probe: start afresh. */
  revived(): void;
}

/** The backoff part every policy shares: the next wait of the schedule, reset on revival. */
class Schedule {
  readonly #backoff: Backoff;
  readonly #random: Random;
  #n = 0;
  #previous = 0;

  constructor(backoff: Backoff, random: Random) {
    this.#backoff = backoff;
    this.#random = random;
  }

  next(): number {
    this.#previous = this.#backoff.delay(this.#n++, this.#previous, this.#random);
    return this.#previous;
  }

  reset(): void {
    this.#n = 0;
    this.#previous = 0;
  }
}

/** `io.l5d.consecutiveFailures`: dead after `failures` failures in a row (the default: 5). */
export class ConsecutiveFailures implements AccrualPolicy {
  readonly #failures: number;
  readonly #schedule: Schedule;
  #consecutive = 0;

  constructor(failures: number, backoff: Backoff, random: Random) {
    this.#failures = failures;
    this.#schedule = new Schedule(backoff, random);
  }

  recordSuccess(): void {
    this.#consecutive = 0;
  }

  markDeadOnFailure(): number | undefined {
    this.#consecutive++;
    return this.#consecutive >= this.#failures ? this.#schedule.next() : undefined;
  }

  revived(): void {
    this.#consecutive = 0;
    this.#schedule.reset();
  }
}

/**
 * `io.l5d.successRate`: the success rate as a moving average over about `requests` requests; dead when it falls
 * below `successRate`, once at least `requests` requests have been seen.
 */
export class SuccessRate implements AccrualPolicy {
  readonly #required: number;
  readonly #requests: number;
  readonly #ema: Ema;
  readonly #schedule: Schedule;
  #count = 0;

  constructor(successRate: number, requests: number, backoff: Backoff, random: Random) {
    this.#required = successRate;
    this.#requests = requests;
    this.#ema = new Ema(requests);
    this.#schedule = new Schedule(backoff, random);
  }

  recordSuccess(): void {
    this.#ema.update(++this.#count, 1);
  }

  markDeadOnFailure(): number | undefined {
    const rate = this.#ema.update(++this.#count, 0);
    return this.#count >= this.#requests && rate < this.#required ? this.#schedule.next() : undefined;
  }

  revived(): void {
    this.#count = 0;
    this.#ema.reset();
    this.#schedule.reset();
  }
}

/** Fewer requests than this in a window say too little to mark an endpoint dead (Finagle's minRequestThreshold). */
export const WINDOWED_MIN_REQUESTS = 5;

/**
 * `io.l5d.successRateWindowed`: the success rate as a moving average over `windowSecs` of time; dead when it
 * falls below `successRate`, once a whole window has passed since the first request (or the last revival) and
 * at least 5 requests were seen.
 */
export class SuccessRateWindowed implements AccrualPolicy {
  readonly #required: number;
  readonly #windowMs: number;
  readonly #ema: Ema;
  readonly #schedule: Schedule;
  #since = Number.NaN;
  #count = 0;

  constructor(successRate: number, windowSecs: number, backoff: Backoff, random: Random) {
    this.#required = successRate;
    this.#windowMs = windowSecs * 1000;
    this.#ema = new Ema(this.#windowMs);
    this.#schedule = new Schedule(backoff, random);
  }

  #seen(now: number): void {
    if (Number.isNaN(this.#since)) this.#since = now;
    this.#count++;
  }

  recordSuccess(now: number): void {
    this.#seen(now);
    this.#ema.update(now, 1);
  }

  markDeadOnFailure(now: number): number | undefined {
    this.#seen(now);
    const rate = this.#ema.update(now, 0);
    const long = now - this.#since >= this.#windowMs && this.#count >= WINDOWED_MIN_REQUESTS;
    return long && rate < this.#required ? this.#schedule.next() : undefined;
  }

  revived(): void {
    this.#since = Number.NaN;
    this.#count = 0;
    this.#ema.reset();
    this.#schedule.reset();
  }
}
