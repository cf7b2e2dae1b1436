// The one place that uses the ZooKeeper library (with zk-library.ts): a session that reconnects, renews itself when it expires, and reads/writes znodes.

import {
  aclsOf,
  closeLibClient,
  createModeOf,
  cutConnection,
  errorCodeOf,
  eventTypeOf,
  type LibClient,
  type LibEvent,
  type LibException,
  type LibState,
  loadLibrary,
  pendingHandshake,
  splitFrames,
  type ZkLibrary,
} from "./zk-library.ts";

/** How long a server may take to answer a new connection's session handshake. */
const HANDSHAKE_TIMEOUT_MS = 2000;

/** A ZooKeeper server, as in the namer's `zkAddrs`. */
export interface ZkAddr {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the client stands. `connecting`: no session yet, or a new one being made after the last expired;
 * `connected`; `disconnected`: the connection is lost but the session may live (watches and ephemeral nodes
 * with it); `expired`: said once when the server reports the session gone, right before a new one is begun;
 * `closed`: by `close()`.
 */
export type ZkConnectionState = "connecting" | "connected" | "disconnected" | "expired" | "closed";

/** Told of every state change, with the number of the session it belongs to (1, then 2 after an expiry...). */
export type ZkStateListener = (state: ZkConnectionState, session: number) => void;

/** What a one-shot watch saw happen to the znode it was set on. */
export interface ZkWatchEvent {
  readonly type: "created" | "deleted" | "data" | "children";
  readonly path: string;
}

export type ZkWatcher = (event: ZkWatchEvent) => void;

export type ZkErrorCode =
  | "connection-loss"
  | "session-expired"
  | "closed"
  | "no-node"
  | "node-exists"
  | "not-empty"
  | "bad-version"
  | "no-auth"
  | "other";

/** A failed ZooKeeper operation, with a code to act on. */
export class ZkError extends Error {
  readonly code: ZkErrorCode;
  readonly path: string;
  constructor(code: ZkErrorCode, path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "ZkError";
    this.code = code;
    this.path = path;
  }
}

/** A session's id and password: another client that presents them takes the session over. */
export interface ZkSession {
  readonly id: Buffer;
  readonly password: Buffer;
}

export type ZkCreateMode = "persistent" | "ephemeral" | "persistent-sequential" | "ephemeral-sequential";

/** An ACL entry as namerd's config gives it: `perms` a subset of "crwda". */
export interface ZkAcl {
  readonly scheme: string;
  readonly id: string;
  readonly perms: string;
}

export interface ZkClientOptions {
  /** Credentials added to every session (`digest`, `user:password`), as namerd's `authInfo`. */
  readonly authInfo?: { readonly scheme: string; readonly auth: string };
  /** The session timeout asked for (the server bounds it to 2-20 ticks); default 10 s, as Finagle's. */
  readonly sessionTimeoutMs?: number;
  /** Longest pause between rounds of connection attempts over all servers; default 500 ms. */
  readonly retryDelayMs?: number;
}

/** `host:port,host:port`, IPv6 hosts in brackets. */
export function connectString(addrs: readonly ZkAddr[]): string {
  if (addrs.length === 0) throw new Error("no ZooKeeper address given");
  return addrs.map((a) => `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`).join(",");
}

/**
 * A ZooKeeper session over a list of servers. The library reconnects by itself (re-sending the session's
 * watches to the server it reaches); when the session expires this client opens a new one, which starts with
 * no watches and no ephemeral nodes: listeners see `expired` and then a higher session number. Operations
 * issued while disconnected wait for the connection; those still waiting when their session expires or the
 * client closes are rejected.
 */
export class ZkClient {
  readonly connectString: string;
  readonly #options: Required<Omit<ZkClientOptions, "authInfo">> & Pick<ZkClientOptions, "authInfo">;
  readonly #listeners = new Set<ZkStateListener>();
  /** One library function per watcher, so that setting the same watch twice leaves one. */
  readonly #watchers = new WeakMap<ZkWatcher, (event: LibEvent) => void>();
  /** Loads the library, then opens the first session. */
  readonly #ready: Promise<void>;
  #zk: ZkLibrary | undefined;
  #lib: LibClient | undefined;
  #session = 1;
  #state: ZkConnectionState = "connecting";
  /** Rejects every operation of the current library client still waiting for an answer. */
  #outstanding = new Set<(code: ZkErrorCode, message: string) => void>();
  /** When the server last answered anything (or the connection was made). */
  #lastHeard = 0;
  /** When the probe now waiting for an answer was sent, or undefined. */
  #probeSentAt: number | undefined;
  /** A connection made but not yet answered (the session handshake), and since when. */
  #handshake: { readonly socket: object; readonly since: number } | undefined;
  readonly #probeTimer: NodeJS.Timeout;

  constructor(addrs: readonly ZkAddr[], options: ZkClientOptions = {}) {
    this.connectString = connectString(addrs);
    this.#options = {
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      retryDelayMs: options.retryDelayMs ?? 500,
      authInfo: options.authInfo,
    };
    this.#ready = loadLibrary().then((zk) => {
      this.#zk = zk;
      if (this.#state !== "closed") this.#open();
    });
    this.#ready.catch(() => {});
    const every = Math.max(50, Math.min(500, Math.floor(this.#options.sessionTimeoutMs / 6)));
    this.#probeTimer = setInterval(() => this.#probe(), every);
    this.#probeTimer.unref();
  }

  get state(): ZkConnectionState {
    return this.#state;
  }

  /** The number of the current session: 1 for the first, one more after each expiry. */
  get sessionNumber(): number {
    return this.#session;
  }

  /** The session timeout the server granted (the one asked for until connected). */
  get sessionTimeoutMs(): number {
    return this.#lib?.getSessionTimeout() ?? this.#options.sessionTimeoutMs;
  }

  /** The current session's id and password, once connected. */
  session(): ZkSession | undefined {
    const lib = this.#lib;
    if (this.#state !== "connected" || lib === undefined) return undefined;
    return { id: lib.getSessionId(), password: lib.getSessionPassword() };
  }

  /** The session id in hex, as ZooKeeper's own tools print it. */
  sessionIdHex(): string | undefined {
    return this.session()?.id.toString("hex");
  }

  onStateChange(listener: ZkStateListener): { close(): void } {
    this.#listeners.add(listener);
    return { close: () => this.#listeners.delete(listener) };
  }

  /** Resolves when connected (at once if so); rejects after `timeoutMs` or when closed. */
  whenConnected(timeoutMs = 30_000): Promise<void> {
    if (this.#state === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.close();
        reject(new Error(`not connected to ZooKeeper ${this.connectString} within ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.onStateChange((state) => {
        if (state !== "connected" && state !== "closed") return;
        clearTimeout(timer);
        sub.close();
        if (state === "connected") resolve();
        else reject(new ZkError("closed", "/", "the client was closed"));
      });
    });
  }

  /** A znode's children (unordered), or undefined when it does not exist; `watcher` fires once on a change. */
  getChildren(path: string, watcher?: ZkWatcher): Promise<string[] | undefined> {
    return this.#call<string[] | undefined>(path, (lib, done) => {
      const cb = (e: Error | LibException | null, children: string[]) => done(e, children);
      if (watcher === undefined) lib.getChildren(path, cb);
      else lib.getChildren(path, this.#watcher(watcher), cb);
    });
  }

  /** A znode's data (empty when it has none), or undefined when it does not exist; `watcher` fires once. */
  getData(path: string, watcher?: ZkWatcher): Promise<Buffer | undefined> {
    return this.#call<Buffer | undefined>(path, (lib, done) => {
      const cb = (e: Error | LibException | null, data: Buffer | undefined) =>
        done(e, data ?? Buffer.alloc(0));
      if (watcher === undefined) lib.getData(path, cb);
      else lib.getData(path, this.#watcher(watcher), cb);
    });
  }

  /** Whether a znode exists; `watcher` fires once when it is created, changed or deleted. */
  async exists(path: string, watcher?: ZkWatcher): Promise<boolean> {
    const stat = await this.#call<unknown>(path, (lib, done) => {
      const cb = (e: Error | LibException | null, s: unknown) => done(e, s);
      if (watcher === undefined) lib.exists(path, cb);
      else lib.exists(path, this.#watcher(watcher), cb);
    });
    return stat !== undefined && stat !== null;
  }

  /**
   * Which session owns a znode: the owner's session id in hex (as `sessionIdHex()`), `null` for a persistent
   * znode, or undefined when it does not exist.
   */
  async ephemeralOwner(path: string): Promise<string | null | undefined> {
    const stat = await this.#call<{ ephemeralOwner?: Buffer } | null>(path, (lib, done) =>
      lib.exists(path, (e, s) => done(e, s)),
    );
    if (stat === undefined || stat === null) return undefined;
    const owner = stat.ephemeralOwner?.toString("hex") ?? "";
    return /^0*$/.test(owner) ? null : owner;
  }

  /** A znode's data and its version (the znode's stat version), or undefined when it does not exist. */
  async getDataVersioned(
    path: string,
    watcher?: ZkWatcher,
  ): Promise<{ data: Buffer; version: number } | undefined> {
    return this.#call<{ data: Buffer; version: number }>(path, (lib, done) => {
      const cb = (e: Error | LibException | null, data: Buffer | undefined, stat: { version: number }) =>
        done(e, e ? (undefined as never) : { data: data ?? Buffer.alloc(0), version: stat.version });
      if (watcher === undefined) lib.getData(path, cb);
      else lib.getData(path, this.#watcher(watcher), cb);
    });
  }

  /**
   * Replaces a znode's data if its version is `version` (-1: any); rejects with `bad-version` when it is not
   * and `no-node` when the znode does not exist.
   */
  async setDataVersioned(path: string, data: Buffer, version: number): Promise<void> {
    const stat = await this.#call<unknown>(path, (lib, done) =>
      lib.setData(path, data, version, (e, s) => done(e, s)),
    );
    if (stat === undefined) throw new ZkError("no-node", path, "no such znode");
  }

  /** Deletes a znode of version `version` (-1: any); resolves false when it did not exist. */
  async removeVersioned(path: string, version: number): Promise<boolean> {
    const removed = await this.#call<boolean>(path, (lib, done) =>
      lib.remove(path, version, (e) => done(e, true)),
    );
    return removed === true;
  }

  /** Creates a persistent znode with these ACLs; rejects with `node-exists`, or `no-node` when its parent is missing. */
  async createWithAcls(path: string, data: Buffer, acls: readonly ZkAcl[]): Promise<string> {
    const created = await this.#call<string>(path, (lib, done) =>
      lib.create(
        path,
        data,
        aclsOf(this.#zk as ZkLibrary, acls),
        createModeOf(this.#zk as ZkLibrary, "persistent"),
        (e, p) => done(e, p),
      ),
    );
    if (created === undefined) throw new ZkError("no-node", path, "the parent znode does not exist");
    return created;
  }

  /** Creates a znode; resolves with its path (which gets a counter appended in the sequential modes). */
  async create(path: string, data: Buffer, mode: ZkCreateMode = "persistent"): Promise<string> {
    const created = await this.#call<string>(path, (lib, done) =>
      lib.create(path, data, createModeOf(this.#zk as ZkLibrary, mode), (e, p) => done(e, p)),
    );
    if (created === undefined) throw new ZkError("no-node", path, "the parent znode does not exist");
    return created;
  }

  /** Creates a znode and any missing parents, all persistent; nothing happens when it exists. */
  async mkdirp(path: string): Promise<void> {
    await this.#call<string>(path, (lib, done) => lib.mkdirp(path, (e, p) => done(e, p)));
  }

  /** Replaces a znode's data; rejects with `no-node` when it does not exist. */
  async setData(path: string, data: Buffer): Promise<void> {
    const stat = await this.#call<unknown>(path, (lib, done) =>
      lib.setData(path, data, (e, s) => done(e, s)),
    );
    if (stat === undefined) throw new ZkError("no-node", path, "no such znode");
  }

  /** Deletes a znode (which must have no children); resolves false when it did not exist. */
  async remove(path: string): Promise<boolean> {
    const removed = await this.#call<boolean>(path, (lib, done) => lib.remove(path, (e) => done(e, true)));
    return removed === true;
  }

  /**
   * Ends the session (its ephemeral nodes go at once) and the connection. Operations still waiting are
   * rejected. A client that is not connected stops trying.
   */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const lib = this.#lib;
    const wasConnected = this.#state === "connected";
    clearInterval(this.#probeTimer);
    this.#setState("closed");
    if (lib !== undefined) await closeLibClient(lib, wasConnected);
    this.#rejectOutstanding("closed", "the client was closed");
  }

  #open(): void {
    const zk = this.#zk as ZkLibrary;
    const session = this.#session;
    const lib = zk.createClient(this.connectString, {
      sessionTimeout: this.#options.sessionTimeoutMs,
      spinDelay: this.#options.retryDelayMs,
      retries: 0,
    });
    this.#lib = lib;
    splitFrames(lib);
    const auth = this.#options.authInfo;
    if (auth !== undefined) lib.addAuthInfo(auth.scheme, Buffer.from(auth.auth));
    lib.on("state", (s: LibState) => {
      if (this.#lib !== lib || this.#state === "closed") return;
      if (s === zk.State.SYNC_CONNECTED || s === zk.State.CONNECTED_READ_ONLY) {
        this.#lastHeard = performance.now();
        this.#probeSentAt = undefined;
        this.#setState("connected");
      } else if (s === zk.State.EXPIRED) {
        this.#expired(lib);
      } else if (s === zk.State.DISCONNECTED) {
        // The library says DISCONNECTED before each attempt of a session that never connected.
        if (this.#state === "connected") this.#setState("disconnected");
      }
    });
    this.#setState("connecting", session);
    lib.connect();
  }

  #expired(lib: LibClient): void {
    this.#setState("expired");
    this.#rejectOutstanding("session-expired", "the ZooKeeper session expired");
    void closeLibClient(lib, false);
    this.#session++;
    this.#open();
  }

  #setState(state: ZkConnectionState, session = this.#session): void {
    if (this.#state === state && state !== "expired") return;
    this.#state = state;
    for (const l of [...this.#listeners]) {
      if (this.#listeners.has(l)) l(state, session);
    }
  }

  #watcher(watcher: ZkWatcher): (event: LibEvent) => void {
    let f = this.#watchers.get(watcher);
    if (f === undefined) {
      f = (event: LibEvent) => {
        if (this.#state === "closed") return;
        watcher({ type: eventTypeOf(this.#zk as ZkLibrary, event.getType()), path: event.getPath() });
      };
      this.#watchers.set(watcher, f);
    }
    return f;
  }

  /**
   * The library never gives up on a connection that goes silent (a frozen server, a lost network, a session
   * closed under it): when connected and nothing was heard for a third of the session timeout, ask the server
   * something; if no answer comes within two thirds of it, cut the connection so that the library reconnects
   * and learns whether the session still lives, as ZooKeeper's own client does.
   */
  #probe(): void {
    if (this.#state !== "connected") {
      this.#checkHandshake();
      return;
    }
    const now = performance.now();
    const timeout = this.sessionTimeoutMs;
    if (this.#probeSentAt !== undefined) {
      if (now - this.#probeSentAt < (2 * timeout) / 3) return;
      this.#probeSentAt = undefined;
      if (this.#lib !== undefined) cutConnection(this.#lib);
      return;
    }
    if (now - this.#lastHeard < timeout / 3) return;
    const lib = this.#lib as LibClient;
    const sentAt = now;
    this.#probeSentAt = sentAt;
    lib.exists("/", () => {
      if (this.#lib !== lib) return;
      this.#lastHeard = performance.now();
      if (this.#probeSentAt === sentAt) this.#probeSentAt = undefined;
    });
  }

  /**
   * The library does not time out a session handshake either: a server that accepts the connection but does
   * not answer (one still starting, as seen when ZooKeeper comes back) would hold the client forever. A
   * handshake unanswered for HANDSHAKE_TIMEOUT_MS (or a third of the session timeout, if less) is cut, and
   * the library tries again.
   */
  #checkHandshake(): void {
    const lib = this.#lib;
    const socket = lib === undefined ? undefined : pendingHandshake(lib);
    if (lib === undefined || socket === undefined) {
      this.#handshake = undefined;
      return;
    }
    const now = performance.now();
    if (this.#handshake?.socket !== socket) {
      this.#handshake = { socket, since: now };
      return;
    }
    if (now - this.#handshake.since < Math.min(HANDSHAKE_TIMEOUT_MS, this.sessionTimeoutMs / 3)) return;
    this.#handshake = undefined;
    cutConnection(lib);
  }

  #rejectOutstanding(code: ZkErrorCode, message: string): void {
    const waiting = [...this.#outstanding];
    this.#outstanding = new Set();
    for (const reject of waiting) reject(code, message);
  }

  /** Runs one library call; `no-node` resolves undefined, other errors reject with a ZkError. */
  async #call<T>(
    path: string,
    run: (lib: LibClient, done: (e: Error | LibException | null, value: T) => void) => void,
  ): Promise<T | undefined> {
    if (this.#lib === undefined) await this.#ready;
    return new Promise<T | undefined>((resolve, reject) => {
      const lib = this.#lib;
      if (this.#state === "closed" || lib === undefined) {
        reject(new ZkError("closed", path, "the client was closed"));
        return;
      }
      const outstanding = this.#outstanding;
      const fail = (code: ZkErrorCode, message: string) => reject(new ZkError(code, path, message));
      outstanding.add(fail);
      try {
        run(lib, (e, value) => {
          this.#lastHeard = performance.now();
          if (!outstanding.delete(fail)) return;
          if (e === null || e === undefined) {
            resolve(value);
            return;
          }
          const code = errorCodeOf(this.#zk as ZkLibrary, e);
          if (code === "no-node") resolve(undefined);
          else reject(new ZkError(code, path, e instanceof Error ? e.message : e.toString()));
        });
      } catch (e) {
        outstanding.delete(fail);
        reject(e);
      }
    });
  }
}
