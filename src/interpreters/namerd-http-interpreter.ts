// `io.l5d.namerd.http`: binding done by namerd over its HTTP controller's `?watch=true` streams (bind, then addr per id).

import { request } from "node:http";
import { readDelegateJson } from "../namerd/client/delegate-json-read.ts";
import {
  Activity,
  Addr,
  type Address,
  BoundName,
  type DelegateTree,
  type Delegator,
  type Dtab,
  type NameInterpreter,
  NameTree,
  type Path,
  readPath,
  State,
  type Timers,
  Var,
} from "../naming/index.ts";
import { startHttpWatch } from "./http-watch.ts";
import type { NamerdDst } from "./namerd-dst.ts";
import type { RetryConfig } from "./retry.ts";
import { SharedAddrs, type WatchEntry } from "./shared-addrs.ts";
import type { Watch, WatchState } from "./watch-loop.ts";

export const NAMERD_HTTP_KIND = "io.l5d.namerd.http";

export interface NamerdHttpOptions {
  readonly dst: NamerdDst;
  readonly namespace: string;
  readonly retry: RetryConfig;
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly random?: () => number;
}

type JsonObject = Record<string, unknown>;

/** How long a Neg waits for namerd to say whether its namespace exists. */
const NAMESPACE_CHECK_TIMEOUT_MS = 1000;

function obj(v: unknown, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`expected ${what} as an object`);
  return v as JsonObject;
}

/** namerd's bound-tree JSON (`/api/1/bind`): leaves as `{type: leaf, bound: {id, path}}`. */
export function readBoundTreeJson(json: unknown): NameTree<{ id: Path; residual: Path }> {
  const o = obj(json, "a bound tree");
  switch (o.type) {
    case "leaf": {
      const b = obj(o.bound, "bound");
      if (typeof b.id !== "string") throw new Error('expected "id" as a string');
      const residual = typeof b.path === "string" ? readPath(b.path) : readPath("/");
      return NameTree.leaf({ id: readPath(b.id), residual });
    }
    case "alt":
      return NameTree.alt(...(Array.isArray(o.alt) ? o.alt : []).map(readBoundTreeJson));
    case "union":
      return NameTree.union(
        ...(Array.isArray(o.union) ? o.union : []).map((w) => {
          const x = obj(w, "a weighted branch");
          return NameTree.weighted(Number(x.weight), readBoundTreeJson(x.tree));
        }),
      );
    case "neg":
      return NameTree.neg;
    case "fail":
      return NameTree.fail;
    case "empty":
      return NameTree.empty;
    default:
      throw new Error(`unknown bound tree type ${JSON.stringify(o.type)}`);
  }
}

/** namerd's Addr JSON: `{type: bound, addrs: [{ip, port, meta}], meta}`, `neg`, `failed` with `cause`, `pending`. */
export function readAddrJson(json: unknown): Addr {
  const a = obj(json, "an addr");
  switch (a.type) {
    case "bound": {
      const addrs = (Array.isArray(a.addrs) ? a.addrs : []).map((x): Address => {
        const e = obj(x, "an address");
        const port = Number(e.port);
        if (typeof e.ip !== "string" || !Number.isInteger(port))
          throw new Error("expected an address's ip and port");
        return Addr.address(e.ip, port, (e.meta as Record<string, unknown>) ?? {});
      });
      return Addr.bound(addrs, (a.meta as Record<string, unknown>) ?? {});
    }
    case "neg":
      return Addr.neg;
    case "failed":
      return Addr.failed(String(a.cause ?? "failed"));
    case "pending":
      return Addr.pending;
    default:
      throw new Error(`unknown addr type ${JSON.stringify(a.type)}`);
  }
}

const defaultTimers: Timers = {
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export class NamerdHttpInterpreter implements NameInterpreter, Delegator {
  readonly #o: NamerdHttpOptions;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #bindings = new Map<string, { activity: Activity<NameTree<BoundName>>; entry: WatchEntry }>();
  readonly #addrs = new SharedAddrs();

  constructor(options: NamerdHttpOptions) {
    this.#o = options;
    this.#timers = options.timers ?? defaultTimers;
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
  }

  #common() {
    return {
      dst: this.#o.dst,
      retry: this.#o.retry,
      timers: this.#timers,
      now: this.#now,
      random: this.#random,
    };
  }

  #ns(): string {
    return encodeURIComponent(this.#o.namespace);
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
    const params: Record<string, string> = { path: path.show, watch: "1" };
    if (!dtab.isEmpty) params.dtab = dtab.show;
    const activity = new Activity(
      Var.async<State<NameTree<BoundName>>>(State.pending, (set) => {
        this.#bindings.set(key, { activity, entry });
        /** Counts answers, so that a namespace check finished after a newer answer is dropped. */
        let answers = 0;
        /** While a Neg is blamed on a missing namespace: the stream that tells when the namespace exists. */
        let awaitNamespace: Watch | undefined;
        const newAnswer = () => {
          awaitNamespace?.close();
          awaitNamespace = undefined;
          return ++answers;
        };
        entry.watch = startHttpWatch({
          ...this.#common(),
          path: `/api/1/bind/${this.#ns()}?${query(params)}`,
          parse: (json) =>
            NameTree.map(readBoundTreeJson(json), (b) => new BoundName(b.id, this.#addr(b.id), b.residual)),
          onValue: (tree) => {
            const answer = newAnswer();
            const ok = () => {
              entry.shown = NameTree.show(tree, (b) => b.id.show);
              set(State.ok(tree));
            };
            if (tree.kind !== "neg") return ok();
            // namerd binds in a namespace that does not exist with an empty dtab, which mostly gives Neg: ask
            // whether that is why, so that the router's 502 names the namespace rather than "no hosts".
            void this.#namespaceExists().then((exists) => {
              if (answer !== answers) return;
              if (exists !== false) return ok();
              const problem = `dtab namespace ${this.#o.namespace} does not exist`;
              entry.shown = `failed: ${problem}`;
              set(State.failed(new Error(problem)));
              // namerd's dtab stream says nothing until the namespace exists; then this Neg is a plain Neg.
              awaitNamespace = startHttpWatch({
                ...this.#common(),
                path: `/api/1/dtabs/${this.#ns()}?watch=1`,
                parse: (json) => json,
                onValue: () => {
                  if (answer === answers) ok();
                  newAnswer();
                },
                onFailure: () => {},
              });
            });
          },
          onFailure: (reason) => {
            newAnswer();
            entry.shown = `failed: ${reason}`;
            set(State.failed(new Error(reason)));
          },
        });
        return {
          close: () => {
            newAnswer();
            entry.watch?.close();
            entry.watch = undefined;
            if (this.#bindings.get(key)?.entry === entry) this.#bindings.delete(key);
          },
        };
      }),
    );
    return activity;
  }

  /** Whether namerd has the namespace (`HEAD /api/1/dtabs/<ns>`); undefined when it cannot tell within a second. */
  async #namespaceExists(): Promise<boolean | undefined> {
    try {
      const [a] = await this.#o.dst.resolve(NAMESPACE_CHECK_TIMEOUT_MS);
      if (a === undefined) return undefined;
      return await new Promise<boolean | undefined>((resolve) => {
        const req = request({
          host: a.ip,
          port: a.port,
          method: "HEAD",
          path: `/api/1/dtabs/${this.#ns()}`,
          timeout: NAMESPACE_CHECK_TIMEOUT_MS,
        });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode === 200 ? true : res.statusCode === 404 ? false : undefined);
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(undefined));
        req.end();
      });
    } catch {
      return undefined;
    }
  }

  #addr(id: Path): Var<Addr> {
    return this.#addrs.get(id, (sink) =>
      startHttpWatch({
        ...this.#common(),
        path: `/api/1/addr/${this.#ns()}?${query({ path: id.show, watch: "1" })}`,
        parse: readAddrJson,
        ...sink,
      }),
    );
  }

  /** One `/api/1/delegate` request (addresses as namerd saw them then). */
  delegate(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    const params: Record<string, string> = { path: path.show };
    if (!dtab.isEmpty) params.dtab = dtab.show;
    const target = `/api/1/delegate/${this.#ns()}?${query(params)}`;
    return new Activity(
      Var.async<State<DelegateTree<BoundName>>>(State.pending, (set) => {
        let req: ReturnType<typeof request> | undefined;
        this.#o.dst.resolve(5000).then(
          (addresses) => {
            const a = addresses[0] as Address;
            req = request({
              host: a.ip,
              port: a.port,
              path: target,
              headers: { accept: "application/json" },
            });
            req.on("error", (e) => set(State.failed(new Error(`namerd unreachable: ${e.message}`))));
            req.on("response", (res) => {
              let body = "";
              res.setEncoding("utf8");
              res.on("data", (c: string) => {
                body += c;
              });
              res.on("end", () => {
                if (res.statusCode !== 200) {
                  set(State.failed(new Error(`namerd answered ${res.statusCode}: ${body.trim()}`)));
                  return;
                }
                try {
                  set(State.ok(readDelegateJson(JSON.parse(body)).tree));
                } catch (e) {
                  set(State.failed(e as Error));
                }
              });
            });
            req.end();
          },
          (e: Error) => set(State.failed(e)),
        );
        return { close: () => req?.destroy() };
      }),
    );
  }

  state(): unknown {
    const watches = (m: Map<string, { entry: WatchEntry }>) => {
      const out: Record<string, Omit<WatchState, "stamp"> & { value: string }> = {};
      for (const { entry } of m.values()) {
        if (entry.watch === undefined) continue;
        const { stamp: _, ...rest } = entry.watch.state();
        out[entry.label] = { ...rest, value: entry.shown };
      }
      return out;
    };
    const dst = this.#o.dst;
    return {
      kind: NAMERD_HTTP_KIND,
      namespace: this.#o.namespace,
      dst: dst.path.show,
      dstAddresses: dst.addresses.map((a) => `${a.ip}:${a.port}`),
      dstProblem: dst.problem ?? null,
      bind: watches(this.#bindings),
      addr: watches(this.#addrs.entries),
    };
  }

  close(): void {
    for (const { entry } of this.#bindings.values()) entry.watch?.close();
    this.#addrs.closeAll();
    this.#o.dst.close();
  }
}
