// `io.l5d.namerd`: binding done by namerd over its thrift interface (ThriftMux), each name and address long-polled.

import type { MuxClientOptions } from "../mux/client.ts";
import {
  Activity,
  type Addr,
  BoundName,
  type DelegateTree,
  type Delegator,
  type Dtab,
  type NameInterpreter,
  NameTree,
  type Path,
  State,
  type Timers,
  Var,
} from "../naming/index.ts";
import {
  delegationRequestTree,
  fromAddrVal,
  fromBoundTree,
  fromDelegateTree,
  toTPath,
} from "../thrift/namer-convert.ts";
import { NamerMethods } from "../thrift/namer-idl.ts";
import type { NamerdDst } from "./namerd-dst.ts";
import type { RetryConfig } from "./retry.ts";
import { retryDelayMs } from "./retry.ts";
import { SharedAddrs, type WatchEntry } from "./shared-addrs.ts";
import { NamerdThriftConnection } from "./thrift-connection.ts";
import { type PollAnswer, startWatch, type WatchState } from "./watch-loop.ts";

export const NAMERD_THRIFT_KIND = "io.l5d.namerd";

export interface NamerdThriftOptions {
  readonly dst: NamerdDst;
  readonly namespace: string;
  readonly retry: RetryConfig;
  /** Linkerd's `failureThreshold`: how often namerd is pinged and how long an answer may take. */
  readonly failureThreshold: { readonly minPeriodMs: number; readonly closeTimeoutMs: number };
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly random?: () => number;
}

const defaultTimers: Timers = {
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const EMPTY = new Uint8Array(0);
/** How long a Neg waits for namerd to say whether its namespace exists. */
const NAMESPACE_CHECK_TIMEOUT_MS = 1000;

/** A reply without a result or a declared exception: the server is not speaking namerd's IDL. */
class MissingResultError extends Error {
  constructor(method: string) {
    super(`namerd sent no result for ${method}`);
    this.name = "MissingResultError";
  }
}

export class NamerdThriftInterpreter implements NameInterpreter, Delegator {
  readonly #o: NamerdThriftOptions;
  readonly #conn: NamerdThriftConnection;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #random: () => number;
  /** Watches being observed, by key; an entry goes when its last observer leaves. */
  readonly #bindings = new Map<string, { activity: Activity<NameTree<BoundName>>; entry: WatchEntry }>();
  readonly #addrs = new SharedAddrs();

  constructor(options: NamerdThriftOptions) {
    this.#o = options;
    this.#timers = options.timers ?? defaultTimers;
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    const mux: MuxClientOptions = {
      pingIntervalMs: options.failureThreshold.minPeriodMs,
      pingTimeoutMs: options.failureThreshold.closeTimeoutMs,
      timers: this.#timers,
    };
    this.#conn = new NamerdThriftConnection(options.dst, mux);
  }

  #watchOptions() {
    return {
      retry: this.#o.retry,
      timers: this.#timers,
      now: this.#now,
      random: this.#random,
      onReconnect: (wake: () => void) => this.#conn.onReconnect(wake),
    };
  }

  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>> {
    const key = `${dtab.show}\n${path.show}`;
    const live = this.#bindings.get(key);
    if (live !== undefined) return live.activity;
    const entry: WatchEntry = {
      label: dtab.isEmpty ? path.show : `${path.show} (dtab ${dtab.show})`,
      watch: undefined,
      shown: "pending",
    };
    const ns = this.#o.namespace;
    const tdtab = dtab.show;
    const tpath = toTPath(path);
    const activity = new Activity(
      Var.async<State<NameTree<BoundName>>>(State.pending, (set) => {
        this.#bindings.set(key, { activity, entry });
        /** Counts answers, so that a namespace check finished after a newer answer is dropped. */
        let answers = 0;
        entry.watch = startWatch({
          ...this.#watchOptions(),
          poll: async (stamp, signal): Promise<PollAnswer<NameTree<BoundName>>> => {
            const r = await this.#conn.call(
              NamerMethods.bind,
              { req: { dtab: tdtab, name: { stamp, name: tpath, ns }, clientId: [] } },
              signal,
            );
            if (r.success !== undefined) {
              // A tree that does not convert is a bad reply: treated as a transport error (last value kept).
              const tree = NameTree.map(fromBoundTree(r.success.tree), (b) =>
                this.#boundName(b.id, b.residual),
              );
              return { kind: "value", stamp: r.success.stamp, value: tree };
            }
            if (r.failure !== undefined) {
              return { kind: "failure", reason: r.failure.reason, stamp: r.failure.name.stamp };
            }
            throw new MissingResultError("bind");
          },
          onValue: (tree) => {
            const answer = ++answers;
            const ok = () => {
              entry.shown = NameTree.show(tree, (b) => b.id.show);
              set(State.ok(tree));
            };
            if (tree.kind !== "neg") return ok();
            // namerd binds in a namespace that does not exist with an empty dtab, which mostly gives Neg: ask
            // whether that is why, so that the router's 502 names the namespace rather than "no hosts".
            void this.#namespaceProblem().then((problem) => {
              if (answer !== answers) return;
              if (problem === undefined) return ok();
              entry.shown = `failed: ${problem}`;
              set(State.failed(new Error(problem)));
            });
          },
          onFailure: (reason) => {
            answers++;
            entry.shown = `failed: ${reason}`;
            set(State.failed(new Error(reason)));
          },
        });
        return {
          close: () => {
            answers++;
            entry.watch?.close();
            entry.watch = undefined;
            if (this.#bindings.get(key)?.entry === entry) this.#bindings.delete(key);
          },
        };
      }),
    );
    return activity;
  }

  /**
   * What namerd says is wrong with the namespace (`dtab namespace default does not exist`), asking its `dtab`
   * once; undefined when it has a dtab, or when namerd cannot tell within a second (a Neg then stays a Neg).
   */
  async #namespaceProblem(): Promise<string | undefined> {
    const controller = new AbortController();
    const timer = this.#timers.setTimeout(
      () => controller.abort(new Error("no answer")),
      NAMESPACE_CHECK_TIMEOUT_MS,
    );
    try {
      const r = await this.#conn.call(
        NamerMethods.dtab,
        { req: { stamp: EMPTY, ns: this.#o.namespace, clientId: [] } },
        controller.signal,
      );
      return r.failure?.reason;
    } catch {
      return undefined;
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  /** The bound name for an id namerd gave: its address watched through namerd's `addr`, shared by id. */
  #boundName(id: Path, residual: Path): BoundName {
    return new BoundName(id, this.#addr(id), residual);
  }

  #addr(id: Path): Var<Addr> {
    const ns = this.#o.namespace;
    const tid = toTPath(id);
    return this.#addrs.get(id, (sink) =>
      startWatch({
        ...this.#watchOptions(),
        poll: async (stamp, signal): Promise<PollAnswer<Addr>> => {
          const r = await this.#conn.call(
            NamerMethods.addr,
            { req: { name: { stamp, name: tid, ns }, clientId: [] } },
            signal,
          );
          if (r.success !== undefined) {
            return { kind: "value", stamp: r.success.stamp, value: fromAddrVal(r.success.value) };
          }
          if (r.failure !== undefined) {
            return { kind: "failure", reason: r.failure.reason, stamp: r.failure.name.stamp };
          }
          throw new MissingResultError("addr");
        },
        ...sink,
      }),
    );
  }

  /** Asks namerd once (delegation does not long-poll), retrying with backoff while namerd cannot be reached. */
  delegate(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    const req = {
      dtab: dtab.show,
      delegation: { stamp: EMPTY, tree: delegationRequestTree(path), ns: this.#o.namespace },
      clientId: [],
    };
    return new Activity(
      Var.async<State<DelegateTree<BoundName>>>(State.pending, (set) => {
        let closed = false;
        let attempt = 0;
        let timer: unknown;
        const controller = new AbortController();
        const attemptOnce = () => {
          this.#conn.call(NamerMethods.delegate, { req }, controller.signal).then(
            (r) => {
              if (closed) return;
              if (r.success !== undefined) {
                try {
                  set(State.ok(fromDelegateTree(r.success.tree, (b) => this.#boundName(b.id, b.residual))));
                } catch (e) {
                  set(State.failed(e as Error));
                }
              } else {
                set(State.failed(new Error(r.failure?.reason ?? "namerd sent no result for delegate")));
              }
            },
            (e: Error) => {
              if (closed) return;
              if (attempt === 0) set(State.failed(new Error(`namerd unreachable: ${e.message}`)));
              timer = this.#timers.setTimeout(
                attemptOnce,
                retryDelayMs(this.#o.retry, attempt++, this.#random),
              );
            },
          );
        };
        attemptOnce();
        return {
          close: () => {
            closed = true;
            if (timer !== undefined) this.#timers.clearTimeout(timer);
            controller.abort(new Error("delegation no longer needed"));
          },
        };
      }),
    );
  }

  /** What `/<router>/interpreter_state/io.l5d.namerd/<namespace>.json` shows. */
  state(): unknown {
    const watches = (m: Map<string, { entry: WatchEntry }>) => {
      const out: Record<string, WatchState & { value: string }> = {};
      for (const { entry } of m.values()) {
        if (entry.watch !== undefined) out[entry.label] = { ...entry.watch.state(), value: entry.shown };
      }
      return out;
    };
    const dst = this.#o.dst;
    return {
      kind: NAMERD_THRIFT_KIND,
      namespace: this.#o.namespace,
      dst: dst.path.show,
      dstAddresses: dst.addresses.map((a) => `${a.ip}:${a.port}`),
      dstProblem: dst.problem ?? null,
      connection: this.#conn.state(),
      bind: watches(this.#bindings),
      addr: watches(this.#addrs.entries),
    };
  }

  close(): void {
    for (const { entry } of this.#bindings.values()) entry.watch?.close();
    this.#addrs.closeAll();
    this.#conn.close();
    this.#o.dst.close();
  }
}
