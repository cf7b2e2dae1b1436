// The seam between namerd's parts: what a dtab store offers, what every interface (HTTP controller, thrift) serves.

import type { Activity, Addr, BoundName, DelegateTree, Dtab, NameTree, Path, Var } from "../naming/index.ts";
import type { MetricsScope } from "../telemetry/index.ts";

/** A namespace's dtab with its version: opaque bytes that change with every write (sent base64 over HTTP). */
export interface VersionedDtab {
  readonly dtab: Dtab;
  readonly version: Uint8Array;
}

/** A write refused because the namespace exists already (HTTP 409). */
export class NamespaceExistsError extends Error {
  readonly ns: string;
  constructor(ns: string) {
    super(`dtab namespace ${ns} already exists`);
    this.name = "NamespaceExistsError";
    this.ns = ns;
  }
}

/** A write or delete refused because the namespace does not exist (HTTP 404). */
export class NamespaceMissingError extends Error {
  readonly ns: string;
  constructor(ns: string) {
    super(`dtab namespace ${ns} does not exist`);
    this.name = "NamespaceMissingError";
    this.ns = ns;
  }
}

/** An update refused because the stored version is not the one the writer read (HTTP 412). */
export class VersionMismatchError extends Error {
  readonly ns: string;
  constructor(ns: string) {
    super(`dtab namespace ${ns} has changed: version mismatch`);
    this.name = "VersionMismatchError";
    this.ns = ns;
  }
}

/** A namespace name the store cannot hold (HTTP 400). */
export class InvalidNamespaceError extends Error {
  readonly ns: string;
  constructor(ns: string, why: string) {
    super(`invalid dtab namespace ${JSON.stringify(ns)}: ${why}`);
    this.name = "InvalidNamespaceError";
    this.ns = ns;
  }
}

/** The backing store refused the caller (ZooKeeper NoAuth; HTTP 403). */
export class StoreForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreForbiddenError";
  }
}

/**
 * Where namespaces' dtabs live (`storage` in namerd's config). Reads are observed (Activities that change with
 * each write, here or by another namerd sharing the store); writes resolve once durable and reject with the
 * errors above.
 */
export interface DtabStore {
  /** The namespaces' names, sorted. */
  list(): Activity<readonly string[]>;
  /** A namespace's dtab and version; `undefined` when the namespace does not exist. */
  observe(ns: string): Activity<VersionedDtab | undefined>;
  /** Creates a namespace; NamespaceExistsError when it exists. */
  create(ns: string, dtab: Dtab): Promise<void>;
  /** Replaces a dtab if its version is still `version` (compare-and-set); VersionMismatchError, NamespaceMissingError. */
  update(ns: string, dtab: Dtab, version: Uint8Array): Promise<void>;
  /** Creates or replaces a dtab, whatever its version (namerd's PUT without If-Match). */
  put(ns: string, dtab: Dtab): Promise<void>;
  /** Deletes a namespace; NamespaceMissingError when it does not exist. */
  delete(ns: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * What every namerd interface serves: namespaces of dtabs, and binding through namerd's namers. A namespace's
 * interpreter binds with its stored dtab (empty when the namespace does not exist), then `localDtab`, then the
 * configured `/#/` namers, then the built-in `/$/` ones. Results are shared through bounded caches, so callers
 * may ask again and again for the same thing cheaply; close observations to release them.
 */
export interface NamerdCore {
  /** The namespaces' names, sorted, observed. */
  namespaces(): Activity<readonly string[]>;
  /** A namespace's dtab and its version; `undefined` (Ok) when the namespace does not exist. */
  dtab(ns: string): Activity<VersionedDtab | undefined>;
  /** Binds `path` in namespace `ns` with the stored dtab followed by `localDtab`. */
  bind(ns: string, localDtab: Dtab, path: Path): Activity<NameTree<BoundName>>;
  /**
   * The Addr of a bound id (as returned inside bind results), bound again through namerd's namers: a Leaf's
   * address, Empty as no addresses, Neg as `neg`; anything else (Alt, Union, Fail, a failure) as Addr failed.
   * Pending until known.
   */
  addr(ns: string, id: Path): Var<Addr>;
  /** The delegation tree of `path` in `ns` with `localDtab` appended (as namerd's `delegate`). */
  delegate(ns: string, localDtab: Dtab, path: Path): Activity<DelegateTree<BoundName>>;
  /** Names known to enumerating namers (`/api/1/bound-names`), observed. */
  boundNames(): Activity<readonly Path[]>;

  /** Writes go to the store, with its errors (NamespaceExistsError, VersionMismatchError, ...). */
  create(ns: string, dtab: Dtab): Promise<void>;
  update(ns: string, dtab: Dtab, version: Uint8Array): Promise<void>;
  put(ns: string, dtab: Dtab): Promise<void>;
  delete(ns: string): Promise<void>;
}

/** A running namerd interface (a listener). */
export interface NamerdInterface {
  /** The interface's kind, e.g. `io.l5d.httpController`. */
  readonly kind: string;
  /** Starts listening; resolves with the address bound (port 0 in the config gets a free port). */
  listen(): Promise<{ readonly host: string; readonly port: number }>;
  /** Stops accepting, ends open streams and connections. */
  close(): Promise<void>;
}

/** What an interface kind's factory is given (besides its own config). */
export interface InterfaceContext {
  readonly core: NamerdCore;
  /** The metrics scope for this interface, e.g. counters under `namerd/<kind>/...`; optional for tests. */
  readonly metrics?: MetricsScope;
}
