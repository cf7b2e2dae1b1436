// io.l5d.zk: namespaces as znodes `<pathPrefix>/<ns>` holding the dtab's text, versioned by the znode's version (as namerd).

import { type ZkAcl, ZkClient, ZkError } from "../../namers/serversets/zk-client.ts";
import { Activity, type Dtab, NameSyntaxError, readDtab, State, Var } from "../../naming/index.ts";
import {
  type DtabStore,
  InvalidNamespaceError,
  NamespaceExistsError,
  NamespaceMissingError,
  StoreForbiddenError,
  type VersionedDtab,
  VersionMismatchError,
} from "../core.ts";
import { checkNamespace } from "./namespace-name.ts";

export interface ZkStoreOptions {
  readonly zkAddrs: readonly { readonly host: string; readonly port: number }[];
  /** Default `/dtabs`, as namerd's. */
  readonly pathPrefix?: string;
  readonly sessionTimeoutMs?: number;
  readonly authInfo?: { readonly scheme: string; readonly auth: string };
  /** ACLs of the znodes it creates; default `world:anyone:crwda`, as namerd's. */
  readonly acls?: readonly ZkAcl[];
}

/** How long to wait before reading again after an error that is not a lost connection. */
const RETRY_MS = 1000;
const OPEN_ACL: ZkAcl = { scheme: "world", id: "anyone", perms: "crwda" };

/** A znode version as namerd sends it: 4 bytes, big-endian. */
export function zkVersionBytes(version: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, version);
  return out;
}

/** One watched value (a namespace's znode, or the list of them) and everyone observing it. */
class Watched<T> {
  state: State<T> = State.pending;
  readonly observers = new Set<(s: State<T>) => void>();
  /** Set again on every read; stable, so the client keeps one watch per znode. */
  readonly onEvent: () => void;
  reading = false;
  stale = false;
  retry: NodeJS.Timeout | undefined;

  constructor(onEvent: () => void) {
    this.onEvent = onEvent;
  }

  set(s: State<T>): void {
    this.state = s;
    for (const o of [...this.observers]) o(s);
  }
}

/**
 * Dtabs in ZooKeeper, byte-compatible with namerd's ZkDtabStore: the znode's data is the dtab's shown form in
 * UTF-8 and the version is the znode's stat version, so a namerd and trellis can share one ZooKeeper. Reads are
 * kept current by watches, set again after a new session; while ZooKeeper is away, the last values stay.
 * Writes are compare-and-set on the znode version. The prefix znode is created on the first write.
 */
export class ZkDtabStore implements DtabStore {
  readonly #client: ZkClient;
  readonly #prefix: string;
  readonly #acls: readonly ZkAcl[];
  readonly #namespaces = new Map<string, Watched<VersionedDtab | undefined>>();
  readonly #list: Watched<readonly string[]>;
  readonly #stateSub: { close(): void };
  #prefixMade = false;
  #closed = false;

  constructor(options: ZkStoreOptions) {
    this.#prefix = (options.pathPrefix ?? "/dtabs").replace(/\/+$/, "") || "/";
    this.#acls = options.acls ?? [OPEN_ACL];
    this.#client = new ZkClient(options.zkAddrs, {
      sessionTimeoutMs: options.sessionTimeoutMs,
      authInfo: options.authInfo,
    });
    this.#list = new Watched(() => this.#readList());
    // Back from a lost connection or in a new session (whose watches are gone): read everything observed again.
    this.#stateSub = this.#client.onStateChange((state) => {
      if (state !== "connected") return;
      if (this.#list.observers.size > 0) this.#readList();
      for (const [ns, w] of this.#namespaces) if (w.observers.size > 0) this.#readNs(ns, w);
    });
  }

  describe(): string {
    return `io.l5d.zk at ${this.#client.connectString}${this.#prefix}`;
  }

  #path(ns: string): string {
    return this.#prefix === "/" ? `/${ns}` : `${this.#prefix}/${ns}`;
  }

  list(): Activity<readonly string[]> {
    const w = this.#list;
    return new Activity(
      Var.async<State<readonly string[]>>(State.pending, (set) => {
        w.observers.add(set);
        if (w.observers.size === 1) this.#readList();
        else set(w.state);
        return { close: () => w.observers.delete(set) };
      }),
    );
  }

  observe(ns: string): Activity<VersionedDtab | undefined> {
    try {
      checkNamespace(ns);
    } catch {
      return Activity.value(undefined);
    }
    return new Activity(
      Var.async<State<VersionedDtab | undefined>>(State.pending, (set) => {
        let w = this.#namespaces.get(ns);
        if (w === undefined) {
          const made: Watched<VersionedDtab | undefined> = new Watched(() => this.#readNs(ns, made));
          w = made;
          this.#namespaces.set(ns, w);
        }
        const watched = w;
        watched.observers.add(set);
        if (watched.observers.size === 1) this.#readNs(ns, watched);
        else set(watched.state);
        return {
          close: () => {
            watched.observers.delete(set);
            if (watched.observers.size === 0) {
              clearTimeout(watched.retry);
              this.#namespaces.delete(ns);
            }
          },
        };
      }),
    );
  }

  /** Reads (and watches) a namespace's znode; a change seen while reading is read in a next pass. */
  #readNs(ns: string, w: Watched<VersionedDtab | undefined>): void {
    this.#serialized(w, async () => {
      const got = await this.#client.getDataVersioned(this.#path(ns), w.onEvent);
      if (got === undefined) {
        // Told when it is created; created in between: read it in a next pass.
        if (await this.#client.exists(this.#path(ns), w.onEvent)) w.stale = true;
        return State.ok(undefined);
      }
      try {
        return State.ok({ dtab: readDtab(got.data.toString("utf8")), version: zkVersionBytes(got.version) });
      } catch (e) {
        if (!(e instanceof NameSyntaxError)) throw e;
        return State.failed(new Error(`the dtab in znode ${this.#path(ns)} does not parse: ${e.message}`));
      }
    });
  }

  #readList(): void {
    const w = this.#list;
    this.#serialized(w, async () => {
      const children = await this.#client.getChildren(this.#prefix, w.onEvent);
      if (children === undefined) {
        if (await this.#client.exists(this.#prefix, w.onEvent)) w.stale = true;
        return State.ok([]);
      }
      return State.ok(children.sort());
    });
  }

  /** Runs `read` for `w` one at a time; errors other than a lost connection are retried after a pause. */
  #serialized<T>(w: Watched<T>, read: () => Promise<State<T>>): void {
    if (this.#closed) return;
    if (w.reading) {
      w.stale = true;
      return;
    }
    w.reading = true;
    w.stale = false;
    read().then(
      (s) => {
        w.reading = false;
        if (w.observers.size > 0) w.set(s);
        if (w.stale) this.#serialized(w, read);
      },
      (e: unknown) => {
        w.reading = false;
        if (this.#closed) return;
        if (e instanceof ZkError && e.code === "no-auth") {
          w.set(State.failed(new StoreForbiddenError(`ZooKeeper refused to read: ${e.message}`)));
          return;
        }
        // A lost connection or expired session: keep the last value; reading starts again once connected.
        if (e instanceof ZkError && (e.code === "connection-loss" || e.code === "session-expired")) return;
        clearTimeout(w.retry);
        w.retry = setTimeout(() => this.#serialized(w, read), RETRY_MS);
        w.retry.unref();
      },
    );
  }

  async #ensurePrefix(): Promise<void> {
    if (this.#prefixMade || this.#prefix === "/") return;
    await this.#client.mkdirp(this.#prefix).catch(rethrow("?"));
    this.#prefixMade = true;
  }

  /** After a write: read what was written at once, so a read right after it sees it (watch events come later). */
  #refresh(ns: string): void {
    const w = this.#namespaces.get(ns);
    if (w !== undefined) this.#readNs(ns, w);
    if (this.#list.observers.size > 0) this.#readList();
  }

  async create(ns: string, dtab: Dtab): Promise<void> {
    checkNamespace(ns);
    await this.#ensurePrefix();
    await this.#client.createWithAcls(this.#path(ns), bytesOf(dtab), this.#acls).catch(rethrow(ns));
    this.#refresh(ns);
  }

  async update(ns: string, dtab: Dtab, version: Uint8Array): Promise<void> {
    checkNamespace(ns);
    if (version.length !== 4) throw new VersionMismatchError(ns);
    const v = new DataView(version.buffer, version.byteOffset, 4).getInt32(0);
    // -1 would mean "any version" to ZooKeeper: never a version a reader was given.
    if (v < 0) throw new VersionMismatchError(ns);
    await this.#client.setDataVersioned(this.#path(ns), bytesOf(dtab), v).catch(rethrow(ns));
    this.#refresh(ns);
  }

  async put(ns: string, dtab: Dtab): Promise<void> {
    checkNamespace(ns);
    const path = this.#path(ns);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.#client.setDataVersioned(path, bytesOf(dtab), -1);
        this.#refresh(ns);
        return;
      } catch (e) {
        if (!(e instanceof ZkError) || e.code !== "no-node") rethrow(ns)(e);
      }
      try {
        await this.#ensurePrefix();
        await this.#client.createWithAcls(path, bytesOf(dtab), this.#acls);
        this.#refresh(ns);
        return;
      } catch (e) {
        // Created by someone else in between: set its data on the next turn.
        if (!(e instanceof ZkError) || e.code !== "node-exists") rethrow(ns)(e);
      }
    }
    throw new Error(`dtab namespace ${ns}: failed to put, try again`);
  }

  async delete(ns: string): Promise<void> {
    checkNamespace(ns);
    const removed = await this.#client.removeVersioned(this.#path(ns), -1).catch(rethrow(ns));
    if (!removed) throw new NamespaceMissingError(ns);
    this.#refresh(ns);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stateSub.close();
    for (const w of this.#namespaces.values()) clearTimeout(w.retry);
    clearTimeout(this.#list.retry);
    await this.#client.close();
  }
}

function bytesOf(dtab: Dtab): Buffer {
  return Buffer.from(dtab.show, "utf8");
}

/** ZooKeeper's answers as the store's errors. */
function rethrow(ns: string): (e: unknown) => never {
  return (e) => {
    if (e instanceof ZkError) {
      switch (e.code) {
        case "node-exists":
          throw new NamespaceExistsError(ns);
        case "no-node":
          throw new NamespaceMissingError(ns);
        case "bad-version":
          throw new VersionMismatchError(ns);
        case "no-auth":
          throw new StoreForbiddenError(`ZooKeeper refused: ${e.message}`);
        default:
          throw new Error(`ZooKeeper: ${e.message}`);
      }
    }
    if (e instanceof InvalidNamespaceError) throw e;
    throw e;
  };
}
