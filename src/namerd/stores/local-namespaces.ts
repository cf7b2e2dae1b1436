// The namespaces of a store kept in this process (in memory or on local disk): a map of versioned dtabs and their watchers.

import { Activity, type Dtab, State, Var } from "../../naming/index.ts";
import {
  NamespaceExistsError,
  NamespaceMissingError,
  type VersionedDtab,
  VersionMismatchError,
} from "../core.ts";
import { checkNamespace } from "./namespace-name.ts";

/** A version as 8 bytes, big-endian (as namerd's in-memory store does). */
export function versionBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

export function sameVersion(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What one write does to the namespaces: set a dtab (with a new version) or remove one. */
export type Change =
  | { readonly kind: "set"; readonly ns: string; readonly dtab: Dtab; readonly seq: bigint }
  | { readonly kind: "delete"; readonly ns: string };

/** Every namespace after a write, and the highest sequence number used (kept even when its namespace is deleted). */
export interface Snapshot {
  readonly seq: bigint;
  readonly dtabs: ReadonlyMap<string, { readonly dtab: Dtab; readonly seq: bigint }>;
}

/** Makes a write durable before it is applied; rejects to refuse it. */
export type Persist = (change: Change, after: Snapshot) => Promise<void>;

/**
 * Namespaces held in this process, each write checked (exists, missing, version) and applied in order. Each
 * write gets the next sequence number, which becomes the namespace's version; a store that persists writes
 * passes `persist`, and the change is applied (and seen by watchers) only once `persist` has resolved.
 */
export class LocalNamespaces {
  readonly #dtabs = new Map<string, { dtab: Dtab; seq: bigint; version: Uint8Array }>();
  readonly #watchers = new Map<string, Set<(s: State<VersionedDtab | undefined>) => void>>();
  readonly #listWatchers = new Set<(s: State<readonly string[]>) => void>();
  readonly #persist: Persist;
  /** Writes run one at a time, so each checks against the state the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();
  #seq: bigint;
  #sortedNames: readonly string[] | undefined;

  constructor(initial: Snapshot = { seq: 0n, dtabs: new Map() }, persist: Persist = async () => {}) {
    let max = initial.seq;
    for (const [ns, e] of initial.dtabs) {
      this.#dtabs.set(ns, { dtab: e.dtab, seq: e.seq, version: versionBytes(e.seq) });
      if (e.seq > max) max = e.seq;
    }
    this.#seq = max;
    this.#persist = persist;
  }

  /** Resolves once every write queued so far has finished (or failed). */
  settled(): Promise<void> {
    return this.#queue.then(() => {});
  }

  /** The highest sequence number used so far. */
  get seq(): bigint {
    return this.#seq;
  }

  get size(): number {
    return this.#dtabs.size;
  }

  names(): readonly string[] {
    this.#sortedNames ??= [...this.#dtabs.keys()].sort();
    return this.#sortedNames;
  }

  get(ns: string): VersionedDtab | undefined {
    const e = this.#dtabs.get(ns);
    return e === undefined ? undefined : { dtab: e.dtab, version: e.version };
  }

  list(): Activity<readonly string[]> {
    return new Activity(
      Var.async<State<readonly string[]>>(State.pending, (set) => {
        this.#listWatchers.add(set);
        set(State.ok(this.names()));
        return { close: () => this.#listWatchers.delete(set) };
      }),
    );
  }

  observe(ns: string): Activity<VersionedDtab | undefined> {
    return new Activity(
      Var.async<State<VersionedDtab | undefined>>(State.pending, (set) => {
        let set_ = this.#watchers.get(ns);
        if (set_ === undefined) {
          set_ = new Set();
          this.#watchers.set(ns, set_);
        }
        set_.add(set);
        set(State.ok(this.get(ns)));
        return {
          close: () => {
            const s = this.#watchers.get(ns);
            s?.delete(set);
            if (s !== undefined && s.size === 0) this.#watchers.delete(ns);
          },
        };
      }),
    );
  }

  create(ns: string, dtab: Dtab): Promise<void> {
    return this.#write(ns, (e) => {
      if (e !== undefined) throw new NamespaceExistsError(ns);
      return dtab;
    });
  }

  update(ns: string, dtab: Dtab, version: Uint8Array): Promise<void> {
    return this.#write(ns, (e) => {
      if (e === undefined) throw new NamespaceMissingError(ns);
      if (!sameVersion(e.version, version)) throw new VersionMismatchError(ns);
      return dtab;
    });
  }

  put(ns: string, dtab: Dtab): Promise<void> {
    return this.#write(ns, () => dtab);
  }

  delete(ns: string): Promise<void> {
    return this.#write(ns, (e) => {
      if (e === undefined) throw new NamespaceMissingError(ns);
      return undefined;
    });
  }

  /** Queues a write: `decide` sees the current entry and returns the new dtab, undefined to delete, or throws. */
  #write(ns: string, decide: (current: VersionedDtab | undefined) => Dtab | undefined): Promise<void> {
    const run = async () => {
      checkNamespace(ns);
      const dtab = decide(this.get(ns));
      const change: Change =
        dtab === undefined ? { kind: "delete", ns } : { kind: "set", ns, dtab, seq: this.#seq + 1n };
      const next = new Map<string, { dtab: Dtab; seq: bigint }>(this.#dtabs);
      if (change.kind === "set") next.set(ns, { dtab: change.dtab, seq: change.seq });
      else next.delete(ns);
      await this.#persist(change, { seq: change.kind === "set" ? change.seq : this.#seq, dtabs: next });
      this.#apply(change);
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }

  #apply(change: Change): void {
    const existed = this.#dtabs.has(change.ns);
    if (change.kind === "set") {
      this.#seq = change.seq;
      this.#dtabs.set(change.ns, { dtab: change.dtab, seq: change.seq, version: versionBytes(change.seq) });
    } else {
      this.#dtabs.delete(change.ns);
    }
    const value = State.ok(this.get(change.ns));
    for (const w of [...(this.#watchers.get(change.ns) ?? [])]) w(value);
    if (existed !== this.#dtabs.has(change.ns)) {
      this.#sortedNames = undefined;
      const names = State.ok(this.names());
      for (const w of [...this.#listWatchers]) w(names);
    }
  }
}
