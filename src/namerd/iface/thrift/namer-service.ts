// namerd's thrift `Namer` service on the namerd core: bind, addr and dtab long-polled with stamps; delegate once.

import type { MethodImpl } from "../../../mux/thriftmux.ts";
import {
  Activity,
  type Addr,
  type BoundName,
  type DelegateTree,
  Dtab,
  type NameTree,
  type Path,
  readDtab,
  type State,
  type Var,
} from "../../../naming/index.ts";
import type { Codec } from "../../../thrift/codec.ts";
import {
  delegationRequestPath,
  fromTPath,
  toBoundAddr,
  toBoundTree,
  toDelegateTree,
} from "../../../thrift/namer-convert.ts";
import type * as T from "../../../thrift/namer-idl.ts";
import * as IDL from "../../../thrift/namer-idl.ts";
import { ThriftWriter } from "../../../thrift/protocol.ts";
import type { NamerdCore, VersionedDtab } from "../../core.ts";
import { contentStamp, LongPoll, PollCache, type PollCacheOptions, type Settled } from "./long-poll.ts";

/** Seconds a client is told to wait before retrying after a failure (namerd's `retryIn`; clients mostly ignore it). */
const RETRY_IN_SECONDS = 10;
/** What namerd puts in `retryInSeconds` for a request that will never succeed (Int.MaxValue). */
const NEVER = 0x7fffffff;
/** How long a delegation may take before DelegationFailure. */
const DELEGATE_TIMEOUT_MS = 10_000;
/** The stamp of delegation replies: delegation does not long-poll, but clients expect a non-empty stamp. */
const DELEGATION_STAMP = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]);

type Result<R, F> = { readonly success?: R; readonly failure?: F };

export interface NamerServiceOptions {
  readonly core: NamerdCore;
  readonly bindCache: PollCacheOptions;
  readonly addrCache: PollCacheOptions;
}

function settle<T>(states: Var<State<T>>): Var<Settled<T> | undefined> {
  return states.map((s): Settled<T> | undefined =>
    s.kind === "ok"
      ? { ok: true, value: s.value }
      : s.kind === "failed"
        ? { ok: false, error: s.error }
        : undefined,
  );
}

/** An Addr as a settled value: Neg is a value (`undefined`), Failed an error, Pending not yet settled. */
type AddrValue =
  | { readonly kind: "bound"; readonly addr: Extract<Addr, { kind: "bound" }> }
  | { readonly kind: "neg" };

function settleAddr(addr: Var<Addr>): Var<Settled<AddrValue> | undefined> {
  return addr.map((a): Settled<AddrValue> | undefined => {
    switch (a.kind) {
      case "bound":
        return { ok: true, value: { kind: "bound", addr: a } };
      case "neg":
        return { ok: true, value: { kind: "neg" } };
      case "failed":
        return { ok: false, error: new Error(a.cause) };
      default:
        return undefined;
    }
  });
}

function encoded<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new ThriftWriter();
  codec.write(w, value);
  return w.bytes();
}

function failureStamp(error: Error): Uint8Array {
  return contentStamp("failed", error.message);
}

/** A binding as the thrift interface watches it: the tree, and whether its namespace exists. */
interface NamespacedTree {
  readonly tree: NameTree<BoundName>;
  readonly namespaceMissing: boolean;
}

/**
 * A bound tree's stamp: its encoding, which names every leaf by id and residual, and whether the namespace exists.
 * The tree alone is the answer, but a namespace deleted or created again changes the stamp, so a client that
 * explains a Neg by the namespace (a Trellis proxy) hears of it even when the tree stays Neg.
 */
function treeStamp(r: Settled<NamespacedTree>): Uint8Array {
  if (!r.ok) return failureStamp(r.error);
  const tree = encoded(IDL.BoundTree, toBoundTree(r.value.tree));
  return r.value.namespaceMissing ? contentStamp("bound", tree, "no namespace") : contentStamp("bound", tree);
}

/** An address set's stamp: its addresses' encodings in sorted order (a set has none), and its metadata. */
function addrStamp(r: Settled<AddrValue>): Uint8Array {
  if (!r.ok) return failureStamp(r.error);
  if (r.value.kind === "neg") return contentStamp("neg");
  const b = toBoundAddr(r.value.addr.addrs, r.value.addr.meta);
  const addresses = b.addresses
    .map((a) => Buffer.from(encoded(IDL.TransportAddress, a)))
    .sort(Buffer.compare);
  const meta = b.meta === undefined ? new Uint8Array(0) : encoded(IDL.AddrMeta, b.meta);
  return contentStamp("addr", meta, ...addresses);
}

function dtabStamp(r: Settled<VersionedDtab | undefined>): Uint8Array {
  if (!r.ok) return failureStamp(r.error);
  return r.value === undefined
    ? contentStamp("missing")
    : contentStamp("dtab", r.value.version, r.value.dtab.show);
}

/** The Namer service's four methods, each taking its `req` and answering a result struct. */
export class NamerService {
  readonly #core: NamerdCore;
  readonly bindings: PollCache<NamespacedTree>;
  readonly addrs: PollCache<AddrValue>;
  readonly dtabs: PollCache<VersionedDtab | undefined>;

  constructor(options: NamerServiceOptions) {
    this.#core = options.core;
    this.bindings = new PollCache(options.bindCache);
    this.addrs = new PollCache(options.addrCache);
    this.dtabs = new PollCache(options.bindCache);
  }

  readonly bind: MethodImpl<{ readonly req: T.BindReq }, Result<T.Bound, T.BindFailure>> = async (
    { req },
    signal,
  ) => {
    const ref = req.name;
    // A failure's own stamp travels in `name.stamp`: a trellis client waits on it (as on a value's stamp) for
    // the failure to end; others ignore it and retry after a while.
    const fail = (reason: string, retry = RETRY_IN_SECONDS, stamp = ref.stamp) => ({
      failure: { reason, retryInSeconds: retry, name: { ...ref, stamp }, ns: ref.ns },
    });
    let path: Path;
    let dtab: Dtab;
    try {
      path = fromTPath(ref.name);
      dtab = req.dtab.trim() === "" ? Dtab.empty : readDtab(req.dtab);
    } catch (e) {
      return fail((e as Error).message, NEVER);
    }
    if (path.isEmpty) return fail("empty path", NEVER);
    const key = `${ref.ns}\n${dtab.show}\n${path.show}`;
    const got = await this.bindings.poll(
      key,
      () => new LongPoll(settle(this.#bindInNamespace(ref.ns, dtab, path).states), treeStamp),
      ref.stamp,
      signal,
    );
    if (!got.result.ok) return fail(got.result.error.message, RETRY_IN_SECONDS, got.stamp);
    return { success: { stamp: got.stamp, tree: toBoundTree(got.result.value.tree), ns: ref.ns } };
  };

  /**
   * Binds in `ns` as namerd does, and as the HTTP controller's `bind`: a namespace that does not exist has an
   * empty dtab, so its names bind through the request's dtab and namerd's namers alone (mostly to Neg).
   */
  #bindInNamespace(ns: string, dtab: Dtab, path: Path): Activity<NamespacedTree> {
    const missing = this.#core.dtab(ns).map((v) => v === undefined);
    return Activity.collect<unknown>([missing, this.#core.bind(ns, dtab, path)]).map(([m, tree]) => ({
      tree: tree as NameTree<BoundName>,
      namespaceMissing: m === true,
    }));
  }

  readonly addr: MethodImpl<{ readonly req: T.AddrReq }, Result<T.Addr, T.AddrFailure>> = async (
    { req },
    signal,
  ) => {
    const ref = req.name;
    const fail = (reason: string, retry = RETRY_IN_SECONDS, stamp = ref.stamp) => ({
      failure: { reason, retryInSeconds: retry, name: { ...ref, stamp } },
    });
    let id: Path;
    try {
      id = fromTPath(ref.name);
    } catch (e) {
      return fail((e as Error).message, NEVER);
    }
    if (id.isEmpty) return fail("empty path", NEVER);
    const got = await this.addrs.poll(
      `${ref.ns}\n${id.show}`,
      () => new LongPoll(settleAddr(this.#core.addr(ref.ns, id)), addrStamp),
      ref.stamp,
      signal,
    );
    if (!got.result.ok) return fail(got.result.error.message, RETRY_IN_SECONDS, got.stamp);
    const v = got.result.value;
    const value: T.AddrVal =
      v.kind === "neg"
        ? { kind: "neg", value: {} }
        : { kind: "bound", value: toBoundAddr(v.addr.addrs, v.addr.meta) };
    return { success: { stamp: got.stamp, value } };
  };

  readonly dtab: MethodImpl<{ readonly req: T.DtabReq }, Result<T.DtabRef, T.DtabFailure>> = async (
    { req },
    signal,
  ) => {
    const ns = req.ns;
    const got = await this.dtabs.poll(
      ns,
      () => new LongPoll(settle(this.#core.dtab(ns).states), dtabStamp),
      req.stamp,
      signal,
    );
    if (!got.result.ok) return { failure: { reason: got.result.error.message } };
    const v = got.result.value;
    if (v === undefined) return { failure: { reason: `dtab namespace ${ns} does not exist` } };
    return { success: { stamp: got.stamp, dtab: v.dtab.show } };
  };

  readonly delegate: MethodImpl<{ readonly req: T.DelegateReq }, Result<T.Delegation, T.DelegationFailure>> =
    async ({ req }, signal) => {
      const ns = req.delegation.ns;
      if (req.delegation.stamp.length > 0) {
        // Delegation does not long-poll; namerd leaves a request with a stamp pending, so a client that loops
        // on stamps waits quietly instead of spinning.
        await new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        );
      }
      let path: Path;
      let dtab: Dtab;
      try {
        path = delegationRequestPath(req.delegation.tree);
        dtab = req.dtab.trim() === "" ? Dtab.empty : readDtab(req.dtab);
      } catch (e) {
        return { failure: { reason: (e as Error).message } };
      }
      let tree: DelegateTree<BoundName>;
      try {
        tree = await this.#core.delegate(ns, dtab, path).toPromise(DELEGATE_TIMEOUT_MS);
      } catch (e) {
        return { failure: { reason: (e as Error).message } };
      }
      return { success: { stamp: DELEGATION_STAMP, tree: toDelegateTree(tree), ns } };
    };

  /** Closes idle watches (called now and then). */
  sweep(): void {
    this.bindings.sweep();
    this.addrs.sweep();
    this.dtabs.sweep();
  }

  close(): void {
    this.bindings.close();
    this.addrs.close();
    this.dtabs.close();
  }
}
