// The io.l5d.serversets namer: ZooKeeper serversets as services, watched live; the last addresses stay while ZooKeeper is away.

import {
  Activity,
  BoundName,
  type Name,
  type Namer,
  NameTree,
  type Path,
  State,
  Var,
} from "../../naming/index.ts";
import { type HostLookup, systemLookup } from "../inet/resolver.ts";
import { type HeldWatch, serversetAddr } from "./serverset-addr.ts";
import { parseServersetLabel, type ServersetLabel, znodePath } from "./serverset-path.ts";
import { ServersetWatch } from "./serverset-watch.ts";
import { WatchRouter } from "./watch-router.ts";
import { type ZkAddr, ZkClient, type ZkConnectionState } from "./zk-client.ts";
import { ZkHealth, type ZkHealthMetrics } from "./zk-health.ts";

export interface ServersetsNamerOptions {
  readonly lookup?: HostLookup;
  /** The ZooKeeper session timeout asked for (default 10 s). */
  readonly sessionTimeoutMs?: number;
  /** Longest pause between rounds of connection attempts (default 500 ms). */
  readonly retryDelayMs?: number;
  /** How long a serverset that no binding uses any more stays watched (default 30 s). */
  readonly idleMs?: number;
  /** Where ZooKeeper's health goes as metrics (`connected`, `session_*`, `observed_serversets`); optional. */
  readonly metrics?: ZkHealthMetrics;
}

interface WatchEntry {
  readonly watch: ServersetWatch;
  refs: number;
  idle: NodeJS.Timeout | undefined;
}

/**
 * Resolves `/<znode path...>/<name>[:<endpoint>][#<shard>]` as Linkerd does: the whole path is tried as a
 * serverset; while that is Neg (no such znode, or no ALIVE member with the endpoint), its last label moves to
 * the residual and the rest is tried, down to Neg. The id is `/#/<prefix>` and the labels used. A path still
 * unknown is Pending, so with ZooKeeper down from the start a binding waits (and the router's bindingTimeoutMs
 * answers). Once read, a serverset's members are watched: changes reach the Addr as ZooKeeper reports them;
 * while ZooKeeper is unreachable or the session is being replaced, the last members stay, and the watches are
 * set again when it is back.
 */
export class ServersetsNamer implements Namer {
  /** The full prefix ids carry, `/#/io.l5d.serversets` by default. */
  readonly idPrefix: Path;
  readonly client: ZkClient;
  /** The connection's state and history, for operators. */
  readonly health: ZkHealth;
  readonly #lookup: HostLookup;
  readonly #idleMs: number;
  readonly #router = new WatchRouter();
  readonly #watches = new Map<string, WatchEntry>();
  readonly #stateSub: { close(): void };
  #session: number;
  #connectedBefore = false;
  #closed = false;

  constructor(zkAddrs: readonly ZkAddr[], idPrefix: Path, options: ServersetsNamerOptions = {}) {
    this.idPrefix = idPrefix;
    this.#lookup = options.lookup ?? systemLookup;
    this.#idleMs = options.idleMs ?? 30_000;
    this.client = new ZkClient(zkAddrs, {
      sessionTimeoutMs: options.sessionTimeoutMs,
      retryDelayMs: options.retryDelayMs,
    });
    this.#session = this.client.sessionNumber;
    this.health = new ZkHealth(this.client);
    if (options.metrics !== undefined) {
      this.health.report(options.metrics);
      options.metrics.gauge("observed_serversets", () => this.#watches.size);
    }
    this.#stateSub = this.client.onStateChange((state, session) => this.#onState(state, session));
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    return this.#lookupFirst(path, path.size);
  }

  /** Tries the first `n` labels of `path` as a serverset, then fewer. */
  #lookupFirst(path: Path, n: number): Activity<NameTree<Name>> {
    const labels = path.utf8Elems;
    for (let k = n; k >= 1; k--) {
      const label = parseServersetLabel(labels[k - 1] as string);
      if (label === undefined) continue;
      const zkPath = znodePath(labels.slice(0, k - 1), label.name);
      if (zkPath !== undefined) return this.#tryServerset(path, k, zkPath, label);
    }
    return Activity.value(NameTree.neg);
  }

  #tryServerset(path: Path, k: number, zkPath: string, label: ServersetLabel): Activity<NameTree<Name>> {
    const addr = serversetAddr(() => this.#acquire(zkPath), label, this.#lookup);
    const leaf = NameTree.leaf<Name>(new BoundName(this.idPrefix.concat(path.take(k)), addr, path.drop(k)));
    const kinds = addr.map((a) => a.kind).dedup();
    return new Activity(
      kinds.flatMap((kind): Var<State<NameTree<Name>>> => {
        if (kind === "pending") return Var.value(State.pending);
        if (kind === "neg") return this.#lookupFirst(path, k - 1).states;
        // Bound, or Failed: a leaf whose Addr says why, as io.l5d.fs gives for a malformed file.
        return Var.value(State.ok(leaf));
      }),
    );
  }

  #acquire(zkPath: string): HeldWatch {
    let entry = this.#watches.get(zkPath);
    if (entry === undefined) {
      entry = { watch: new ServersetWatch(zkPath, this.client, this.#router), refs: 0, idle: undefined };
      this.#watches.set(zkPath, entry);
    }
    const e = entry;
    clearTimeout(e.idle);
    e.idle = undefined;
    e.refs++;
    let released = false;
    return {
      watch: e.watch,
      release: () => {
        if (released) return;
        released = true;
        if (--e.refs > 0 || this.#closed) return;
        e.idle = setTimeout(() => {
          if (e.refs > 0 || this.#watches.get(zkPath) !== e) return;
          e.watch.stop();
          this.#watches.delete(zkPath);
        }, this.#idleMs);
        e.idle.unref();
      },
    };
  }

  #onState(state: ZkConnectionState, session: number): void {
    if (state !== "connected") return;
    const renewed = session !== this.#session;
    this.#session = session;
    // Reads made before the first connection were queued and go out now; nothing to set again.
    const first = !this.#connectedBefore;
    this.#connectedBefore = true;
    if (first && !renewed) return;
    // A new session has no watches; on a reconnection the library sets them again, and reading the
    // children again catches anything missed meanwhile.
    if (renewed) this.#router.reset();
    for (const e of this.#watches.values()) e.watch.refresh(renewed);
  }

  /** ZooKeeper's connection and each watched serverset, for `/namer_state/<prefix>.json`. */
  state(): Record<string, unknown> {
    const serversets: Record<string, unknown> = {};
    for (const path of [...this.#watches.keys()].sort()) {
      const e = this.#watches.get(path) as WatchEntry;
      serversets[path] = { ...e.watch.toJSON(), observers: e.refs };
    }
    return {
      zkAddrs: this.client.connectString,
      connection: this.client.state,
      session: {
        number: this.client.sessionNumber,
        id: this.client.sessionIdHex() ?? null,
        timeoutMs: this.client.sessionTimeoutMs,
      },
      health: this.health.toJSON(),
      watches: this.#router.watchCount,
      serversets,
    };
  }

  /** Stops every watch and ends the ZooKeeper session. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#stateSub.close();
    this.health.close();
    for (const e of this.#watches.values()) {
      clearTimeout(e.idle);
      e.watch.stop();
    }
    this.#watches.clear();
    return this.client.close();
  }
}
