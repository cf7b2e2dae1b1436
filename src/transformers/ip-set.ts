// A set of IP addresses learned once (this host's, or one host's DNS answer), as an Activity that is pending until known.

import { Activity, Cell, type Closable, type Observer, State, Var } from "../naming/index.ts";
import { canonicalIp } from "./ip-text.ts";

/** IP addresses in canonical text (see `canonicalIp`). */
export type IpSet = ReadonlySet<string>;

/** The set of `ips` in canonical form; texts that are not IP addresses are left out. */
export function ipSet(ips: Iterable<string>): IpSet {
  const out = new Set<string>();
  for (const ip of ips) {
    const c = canonicalIp(ip);
    if (c !== undefined) out.add(c);
  }
  return out;
}

/** True when `ip` is one of `set`'s addresses. */
export function ipIn(set: IpSet, ip: string): boolean {
  const c = canonicalIp(ip);
  return c !== undefined && set.has(c);
}

/**
 * Loads the addresses when first observed and keeps the answer. A failed load is remembered as Failed, and tried
 * again when someone next starts observing; two loads never run at once.
 */
class LoadedOnce extends Var<State<IpSet>> {
  readonly #load: () => Promise<readonly string[]>;
  readonly #state = new Cell<State<IpSet>>(State.pending);
  #loading = false;

  constructor(load: () => Promise<readonly string[]>) {
    super();
    this.#load = load;
  }

  observe(observer: Observer<State<IpSet>>): Closable {
    this.#startLoad();
    return this.#state.observe(observer);
  }

  #startLoad(): void {
    if (this.#loading || this.#state.get().kind === "ok") return;
    this.#loading = true;
    let answer: Promise<readonly string[]>;
    try {
      answer = this.#load();
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (ips) => {
        this.#loading = false;
        this.#state.set(State.ok(ipSet(ips)));
      },
      (e: unknown) => {
        this.#loading = false;
        this.#state.set(State.failed(e instanceof Error ? e : new Error(String(e))));
      },
    );
  }
}

/** The addresses `load` gives, as an Activity: Pending until it answers, then Ok (for good) or Failed. */
export function loadIpSetOnce(load: () => Promise<readonly string[]>): Activity<IpSet> {
  return new Activity(new LoadedOnce(load));
}
