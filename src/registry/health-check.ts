// An HTTP health check of a local service, polled on a timer: passing or failing after thresholds, told to a listener.

import { request as httpRequest } from "node:http";
import { type Timers, unrefTimers } from "../naming/index.ts";

export interface HealthCheckSettings {
  /** What to GET; a status from 200 to 399 passes. */
  readonly url: URL;
  /** A Host header to send instead of the URL's. */
  readonly host?: string | undefined;
  /** From the start of one check to the start of the next. */
  readonly intervalMs: number;
  /** How long a check may take before it counts as failed. */
  readonly timeoutMs: number;
  /** Checks passed in a row before a failing service counts as passing again. */
  readonly healthyThreshold: number;
  /** Checks failed in a row before a passing service counts as failing. */
  readonly unhealthyThreshold: number;
}

/** One check: resolves when the service answered well, rejects with the reason otherwise. */
export type Probe = (settings: HealthCheckSettings) => Promise<void>;

export interface HealthCheckOptions {
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly probe?: Probe;
}

/** `unknown` until the first check has answered. */
export type HealthState = "unknown" | "passing" | "failing";

/**
 * Checks a service every `intervalMs` (one check at a time) and says when it starts or stops passing. The first
 * answer decides at once (a service is not announced before it has passed once); after that a change needs
 * `healthyThreshold` or `unhealthyThreshold` answers in a row, so one slow answer does not withdraw a member.
 */
export class HealthCheck {
  readonly settings: HealthCheckSettings;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #probe: Probe;
  #state: HealthState = "unknown";
  #streak = 0;
  #listener: ((passing: boolean) => void) | undefined;
  #timer: unknown;
  #running = false;
  #lastCheckAt: number | undefined;
  #lastError: string | undefined;
  #checks = 0;

  constructor(settings: HealthCheckSettings, options: HealthCheckOptions = {}) {
    this.settings = settings;
    this.#timers = options.timers ?? unrefTimers;
    this.#now = options.now ?? Date.now;
    this.#probe = options.probe ?? httpProbe;
  }

  get state(): HealthState {
    return this.#state;
  }

  /** Starts checking; `listener` hears `true` when the service starts passing and `false` when it stops. */
  start(listener: (passing: boolean) => void): void {
    if (this.#running) return;
    this.#running = true;
    this.#listener = listener;
    void this.#check();
  }

  stop(): void {
    this.#running = false;
    this.#listener = undefined;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #check(): Promise<void> {
    if (!this.#running) return;
    const started = this.#now();
    let error: string | undefined;
    try {
      await this.#probe(this.settings);
    } catch (e) {
      error = (e as Error).message || String(e);
    }
    if (!this.#running) return;
    this.#checks++;
    this.#lastCheckAt = this.#now();
    this.#lastError = error;
    this.#record(error === undefined);
    const wait = Math.max(0, this.settings.intervalMs - (this.#now() - started));
    this.#timer = this.#timers.setTimeout(() => void this.#check(), wait);
  }

  #record(passed: boolean): void {
    const wanted: HealthState = passed ? "passing" : "failing";
    if (this.#state === wanted) {
      this.#streak = 0;
      return;
    }
    this.#streak++;
    const threshold = passed ? this.settings.healthyThreshold : this.settings.unhealthyThreshold;
    if (this.#state !== "unknown" && this.#streak < threshold) return;
    this.#state = wanted;
    this.#streak = 0;
    this.#listener?.(passed);
  }

  toJSON(): Record<string, unknown> {
    return {
      url: this.settings.url.href,
      state: this.#state,
      checks: this.#checks,
      lastCheckAt: this.#lastCheckAt === undefined ? null : new Date(this.#lastCheckAt).toISOString(),
      lastError: this.#lastError ?? null,
    };
  }
}

/** `node:https` is loaded on first use: TLS costs a proxy some 5 MiB and 10 ms of start-up it rarely needs. */
const requestFor = async (url: URL): Promise<typeof httpRequest> =>
  url.protocol === "https:" ? (await import("node:https")).request : httpRequest;

/** A GET on a fresh connection (no keep-alive, so a service that stopped listening is seen at once). */
export const httpProbe: Probe = async (s) => {
  const request = await requestFor(s.url);
  return new Promise<void>((resolve, reject) => {
    const headers: Record<string, string> = { "User-Agent": "trellis-health-check" };
    if (s.host !== undefined) headers.Host = s.host;
    const what = `GET ${s.url.href}`;
    const signal = AbortSignal.timeout(s.timeoutMs);
    const req = request(s.url, { method: "GET", agent: false, headers, signal }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 400) resolve();
      else reject(new Error(`${what}: status ${status}`));
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new Error(`${what}: no answer within ${s.timeoutMs} ms`));
      else reject(new Error(`${what}: ${e.code ?? e.message}`));
    });
    req.end();
  });
};
