// ZooKeeper's health as a namer sees it: the connection's state and since when, session events counted, and as metrics.

import type { ZkClient, ZkConnectionState } from "./zk-client.ts";

/** Where the health goes as metrics (a MetricsScope fits); Finagle's names for the session events. */
export interface ZkHealthMetrics {
  counter(name: string): { incr(): void };
  gauge(name: string, sampler: () => number): unknown;
}

/**
 * Follows a ZkClient's state: `connected` or not, since when, and how many times a session was connected,
 * disconnected and expired (Finagle's `session_connects`, `session_disconnects`, `session_expirations`).
 */
export class ZkHealth {
  readonly #client: ZkClient;
  readonly #now: () => number;
  #since: number;
  #connects = 0;
  #disconnects = 0;
  #expirations = 0;
  #lastConnected: number | undefined;
  readonly #sub: { close(): void };
  readonly #listeners: ((state: ZkConnectionState) => void)[] = [];
  #wasConnected = false;

  constructor(client: ZkClient, now: () => number = Date.now) {
    this.#client = client;
    this.#now = now;
    this.#since = now();
    this.#sub = client.onStateChange((state) => this.#changed(state));
  }

  /** Also counts into `metrics`: the three counters, and a `connected` gauge (1 when connected, else 0). */
  report(metrics: ZkHealthMetrics): void {
    const connects = metrics.counter("session_connects");
    const disconnects = metrics.counter("session_disconnects");
    const expirations = metrics.counter("session_expirations");
    for (let i = 0; i < this.#connects; i++) connects.incr();
    for (let i = 0; i < this.#disconnects; i++) disconnects.incr();
    for (let i = 0; i < this.#expirations; i++) expirations.incr();
    this.#listeners.push((state) => {
      if (state === "connected") connects.incr();
      else if (state === "disconnected") disconnects.incr();
      else if (state === "expired") expirations.incr();
    });
    metrics.gauge("connected", () => (this.connected ? 1 : 0));
  }

  get connected(): boolean {
    return this.#client.state === "connected";
  }

  /** For `/namer_state`: the state, since when, how long ago ZooKeeper was last reachable, and the counts. */
  toJSON(): Record<string, unknown> {
    const now = this.#now();
    return {
      connected: this.connected,
      state: this.#client.state,
      since: new Date(this.#since).toISOString(),
      forMs: Math.max(0, Math.round(now - this.#since)),
      lastConnected: this.connected
        ? new Date(now).toISOString()
        : this.#lastConnected === undefined
          ? null
          : new Date(this.#lastConnected).toISOString(),
      sessionConnects: this.#connects,
      sessionDisconnects: this.#disconnects,
      sessionExpirations: this.#expirations,
    };
  }

  close(): void {
    this.#sub.close();
  }

  #changed(state: ZkConnectionState): void {
    const now = this.#now();
    if (state === "connected") this.#connects++;
    else if (state === "disconnected") this.#disconnects++;
    else if (state === "expired") this.#expirations++;
    // Leaving `connected`: remember when ZooKeeper was last reachable.
    if (state !== "connected" && this.#wasConnected) this.#lastConnected = now;
    this.#wasConnected = state === "connected";
    this.#since = now;
    for (const l of this.#listeners) l(state);
  }
}
