// namerd's core: each namespace's interpreter (stored dtab, then namers), with bounded caches shared by every interface.

import { GlobalNamer } from "../namers/global.ts";
import {
  Activity,
  Addr,
  type BoundName,
  ConfiguredNamersInterpreter,
  type DelegateTree,
  Dtab,
  type MountedNamer,
  type Namer,
  type NameTree,
  Path,
  State,
  Var,
} from "../naming/index.ts";
import type { DtabStore, NamerdCore, VersionedDtab } from "./core.ts";
import { ObserverCache } from "./observer-cache.ts";

/** Limits of the binding and address caches (namerd's thriftNameInterpreter `cache` keys, same defaults). */
export interface NamerdCacheLimits {
  readonly bindingCacheActive: number;
  readonly bindingCacheInactive: number;
  readonly bindingCacheInactiveTTLSecs: number;
  readonly addrCacheActive: number;
  readonly addrCacheInactive: number;
  readonly addrCacheInactiveTTLSecs: number;
}

export const DEFAULT_CACHE_LIMITS: NamerdCacheLimits = {
  bindingCacheActive: 1000,
  bindingCacheInactive: 100,
  bindingCacheInactiveTTLSecs: 600,
  addrCacheActive: 1000,
  addrCacheInactive: 100,
  addrCacheInactiveTTLSecs: 600,
};

/** A namer mounted in namerd, and the names it can list (for `/api/1/bound-names`). */
export interface NamerdNamer extends MountedNamer {
  boundNames?(): Path[];
}

export interface NamerdCoreOptions {
  readonly store: DtabStore;
  /** Configured namers, in config order (namerd refuses overlapping prefixes, so order does not matter). */
  readonly namers?: readonly NamerdNamer[];
  /** The `/$/` namers; default the built-in ones. */
  readonly global?: Namer;
  readonly cache?: Partial<NamerdCacheLimits>;
  /** Milliseconds, monotonic; default `performance.now`. */
  readonly now?: () => number;
  /** How often enumerating namers are asked for their names while someone watches them; default 1000 ms. */
  readonly boundNamesPollMs?: number;
}

const PERCENT = "%";

/** namerd's stripTransformerPrefix: `/%/io.l5d.port/4004/#/io.l5d.fs/x` -> `/#/io.l5d.fs/x`. */
export function stripTransformerPrefix(id: Path): Path {
  if (id.elems[0] !== PERCENT) return id;
  const at = id.elems.findIndex((l) => l === "#" || l === "$");
  return at < 0 ? Path.empty : id.drop(at);
}

/** The namerd core shared by the HTTP controller and the thrift interface. */
export class Namerd implements NamerdCore {
  readonly store: DtabStore;
  readonly #interpreter: ConfiguredNamersInterpreter;
  readonly #namers: readonly NamerdNamer[];
  readonly bindings: ObserverCache<State<NameTree<BoundName>>>;
  readonly addrs: ObserverCache<Addr>;
  readonly #dtabs: ObserverCache<State<VersionedDtab | undefined>>;
  readonly #boundNames: Activity<readonly Path[]>;

  constructor(options: NamerdCoreOptions) {
    this.store = options.store;
    this.#namers = options.namers ?? [];
    this.#interpreter = new ConfiguredNamersInterpreter(this.#namers, options.global ?? new GlobalNamer());
    const limits = { ...DEFAULT_CACHE_LIMITS, ...options.cache };
    const now = options.now ?? (() => performance.now());
    this.bindings = new ObserverCache({
      activeCapacity: limits.bindingCacheActive,
      inactiveCapacity: limits.bindingCacheInactive,
      inactiveTtlMs: limits.bindingCacheInactiveTTLSecs * 1000,
      now,
    });
    this.addrs = new ObserverCache({
      activeCapacity: limits.addrCacheActive,
      inactiveCapacity: limits.addrCacheInactive,
      inactiveTtlMs: limits.addrCacheInactiveTTLSecs * 1000,
      now,
    });
    // A namespace's dtab is shared by every binding in it: one store watch per namespace in use.
    this.#dtabs = new ObserverCache({
      activeCapacity: limits.bindingCacheActive,
      inactiveCapacity: limits.bindingCacheInactive,
      inactiveTtlMs: limits.bindingCacheInactiveTTLSecs * 1000,
      now,
    });
    this.#boundNames = pollBoundNames(this.#namers, options.boundNamesPollMs ?? 1000);
  }

  namespaces(): Activity<readonly string[]> {
    return this.store.list();
  }

  dtab(ns: string): Activity<VersionedDtab | undefined> {
    return new Activity(this.#dtabs.get(ns, () => this.store.observe(ns).states));
  }

  bind(ns: string, localDtab: Dtab, path: Path): Activity<NameTree<BoundName>> {
    const key = `${ns}\n${localDtab.show}\n${path.show}`;
    return new Activity(
      this.bindings.get(key, () => {
        const bound = this.dtab(ns).flatMap((v) =>
          this.#interpreter.bind((v?.dtab ?? Dtab.empty).concat(localDtab), path),
        );
        return bound.states;
      }),
    );
  }

  addr(ns: string, id: Path): Var<Addr> {
    const stripped = stripTransformerPrefix(id);
    // namerd binds an id through its namers alone (no dtab), so one cache entry serves every namespace.
    void ns;
    return this.addrs.get(stripped.show, () =>
      this.#interpreter.bind(Dtab.empty, stripped).states.flatMap((s): Var<Addr> => {
        if (s.kind === "ok") return addrOfTree(s.value, stripped);
        return Var.value(s.kind === "failed" ? Addr.failed(s.error) : Addr.pending);
      }),
    );
  }

  delegate(ns: string, localDtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    return this.dtab(ns).flatMap((v) =>
      this.#interpreter.delegate((v?.dtab ?? Dtab.empty).concat(localDtab), path),
    );
  }

  /** Delegation with the configured namers and `dtab` alone (namerd's `/api/1/delegate` without a namespace). */
  delegateWithoutNamespace(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    return this.#interpreter.delegate(dtab, path);
  }

  boundNames(): Activity<readonly Path[]> {
    return this.#boundNames;
  }

  create(ns: string, dtab: Dtab): Promise<void> {
    return this.store.create(ns, dtab);
  }

  update(ns: string, dtab: Dtab, version: Uint8Array): Promise<void> {
    return this.store.update(ns, dtab, version);
  }

  put(ns: string, dtab: Dtab): Promise<void> {
    return this.store.put(ns, dtab);
  }

  delete(ns: string): Promise<void> {
    return this.store.delete(ns);
  }

  /** Releases every cached observation. */
  close(): void {
    this.bindings.clear();
    this.addrs.clear();
    this.#dtabs.clear();
  }
}

/** The Addr of a bound id's tree, as namerd answers `addr`. */
function addrOfTree(tree: NameTree<BoundName>, id: Path): Var<Addr> {
  switch (tree.kind) {
    case "leaf":
      return tree.value.addr;
    case "empty":
      return Var.value(Addr.bound([]));
    case "neg":
      return Var.value(Addr.neg);
    case "fail":
      return Var.value(Addr.failed("name tree failed"));
    default:
      return Var.value(Addr.failed(`${id.show} is not a concrete bound id`));
  }
}

/** The names of every enumerating namer, sorted and without duplicates, polled while observed. */
function pollBoundNames(namers: readonly NamerdNamer[], everyMs: number): Activity<readonly Path[]> {
  const enumerating = namers.filter((n) => n.boundNames !== undefined);
  const read = (): readonly Path[] => {
    const byShow = new Map<string, Path>();
    for (const n of enumerating) for (const p of n.boundNames?.() ?? []) byShow.set(p.show, p);
    return [...byShow.keys()].sort().map((k) => byShow.get(k) as Path);
  };
  if (enumerating.length === 0) return Activity.value([]);
  const same = (a: State<readonly Path[]>, b: State<readonly Path[]>) =>
    a.kind === "ok" &&
    b.kind === "ok" &&
    a.value.length === b.value.length &&
    a.value.every((p, i) => p.equals(b.value[i] as Path));
  return new Activity(
    Var.async<State<readonly Path[]>>(State.pending, (set) => {
      set(State.ok(read()));
      const timer = setInterval(() => set(State.ok(read())), everyMs);
      timer.unref();
      return { close: () => clearInterval(timer) };
    }).dedup(same),
  );
}
