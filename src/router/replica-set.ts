// ReplicaSet: the client of one bound name: follows its changing Addr, keeps an Endpoint per address, picks one.

import { Addr, type BoundName, type Closable, type Path } from "../naming/index.ts";
import { pickLeastLoaded, type Random } from "./balancer.ts";
import { Endpoint, type EndpointOptions } from "./endpoint.ts";
import { WaitList } from "./wait-list.ts";

/** What a pick gives: an endpoint, or why there is none (the Addr is Neg, Failed, empty) or none yet (Pending). */
export type Pick =
  | { kind: "endpoint"; endpoint: Endpoint }
  | { kind: "none"; why: string }
  | { kind: "pending" };

export class ReplicaSet {
  readonly id: Path;
  readonly #random: Random;
  readonly #endpointOptions: EndpointOptions;
  readonly #endpoints = new Map<string, Endpoint>();
  #list: Endpoint[] = [];
  #addr: Addr = Addr.pending;
  #sub: Closable | undefined;
  readonly #ready = new WaitList();
  lastUsed: number;

  constructor(bound: BoundName, random: Random, now: number, endpointOptions: EndpointOptions = {}) {
    this.id = bound.id;
    this.#random = random;
    this.#endpointOptions = endpointOptions;
    this.lastUsed = now;
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
        else this.#endpoints.set(key, new Endpoint(a, this.#endpointOptions));
      }
      for (const [key, e] of this.#endpoints) {
        if (!seen.has(key)) {
          this.#endpoints.delete(key);
          // In-flight requests finish on their sockets; idle ones close now.
          e.close();
        }
      }
      this.#list = [...this.#endpoints.values()];
    }
    // Neg and Failed keep the endpoints of the last Bound answer out of use but do not tear them down.
    if (addr.kind !== "pending") this.#ready.wake();
  }

  pick(): Pick {
    const a = this.#addr;
    switch (a.kind) {
      case "pending":
        return { kind: "pending" };
      case "neg":
        return { kind: "none", why: "the name does not exist (Neg)" };
      case "failed": {
        // Discovery is failing: keep using the last good addresses, if there were any (last known good).
        const e = pickLeastLoaded(this.#list, this.#random);
        return e ? { kind: "endpoint", endpoint: e } : { kind: "none", why: `resolution failed: ${a.cause}` };
      }
      case "bound": {
        const e = pickLeastLoaded(this.#list, this.#random);
        return e ? { kind: "endpoint", endpoint: e } : { kind: "none", why: "no endpoints" };
      }
    }
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
    this.#ready.wake();
  }
}
