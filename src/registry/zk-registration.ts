// One serverset member kept in ZooKeeper while wanted: created, re-created on a new session, removed, never twice.

import { MEMBER_PREFIX } from "../namers/serversets/serverset-watch.ts";
import { type ZkClient, ZkError, type ZkWatchEvent } from "../namers/serversets/zk-client.ts";
import { type Timers, unrefTimers } from "../naming/index.ts";

/** What a registration needs of a ZooKeeper session (ZkClient; a fake in unit tests). */
export type RegistrationClient = Pick<
  ZkClient,
  | "sessionNumber"
  | "sessionIdHex"
  | "onStateChange"
  | "mkdirp"
  | "create"
  | "remove"
  | "exists"
  | "getChildren"
  | "getData"
  | "ephemeralOwner"
>;

/**
 * `registering`: wanted, not in ZooKeeper yet (or again); `registered`: the member znode exists;
 * `unregistered`: not wanted (a failing health check) and not in ZooKeeper; `withdrawn`: for good.
 */
export type RegistrationStatus = "registering" | "registered" | "unregistered" | "withdrawn";

export interface RegistrationState {
  readonly status: RegistrationStatus;
  /** The member znode, while it exists. */
  readonly node: string | null;
  readonly lastError: string | null;
}

export interface ZkRegistrationOptions {
  readonly timers?: Timers;
  /** Told of every change of status or node. */
  readonly onChange?: (state: RegistrationState) => void;
}

/** The first and the longest pause before trying again after a failed operation. */
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/**
 * Keeps one ephemeral sequential `member_` znode under a serverset path while wanted. Operations run one at a
 * time; every change (wanted or not, a new session, the znode deleted by someone else) is acted on once the
 * current operation is done, and a failed operation is tried again with a growing pause.
 *
 * Never two members: the znode lives and dies with the session, so a new session creates a new one (the old
 * one went with the old session). A create whose answer is lost with the connection may still have happened:
 * before creating again in that session, the serverset's children are read and a member owned by this session
 * with this data is taken as ours (and any more of them removed).
 */
export class ZkRegistration {
  readonly path: string;
  readonly data: Buffer;
  readonly #client: RegistrationClient;
  readonly #timers: Timers;
  readonly #onChange: ((state: RegistrationState) => void) | undefined;
  readonly #stateSub: { close(): void };
  #wanted = false;
  #withdrawn = false;
  /** Set once `withdraw` has returned: nothing more is tried. */
  #stopped = false;
  #node: string | undefined;
  #nodeSession = 0;
  /** Whether a watch is set on the member znode (to re-create it if someone deletes it). */
  #watching = false;
  /** The session in which a create's outcome is unknown. */
  #doubtful: number | undefined;
  #running = false;
  #again = false;
  #retryTimer: unknown;
  #retryMs = MIN_RETRY_MS;
  #lastError: string | undefined;
  #settledWaiters: (() => void)[] = [];
  #lastShown = "";

  constructor(client: RegistrationClient, path: string, data: Buffer, options: ZkRegistrationOptions = {}) {
    this.#client = client;
    this.path = path;
    this.data = data;
    this.#timers = options.timers ?? unrefTimers;
    this.#onChange = options.onChange;
    this.#stateSub = client.onStateChange((state) => {
      if (state === "expired" && this.#node !== undefined) {
        this.#forget();
        this.#changed();
      }
      // The new session's first operations go out once it is connected.
      if (state === "connected") this.#kick();
    });
  }

  /** Whether the member should be in ZooKeeper (a passing health check, or always without one). */
  setWanted(wanted: boolean): void {
    if (this.#withdrawn || this.#wanted === wanted) return;
    this.#wanted = wanted;
    this.#changed();
    this.#kick();
  }

  get state(): RegistrationState {
    let status: RegistrationStatus;
    if (this.#withdrawn && this.#node === undefined) status = "withdrawn";
    else if (this.#node !== undefined) status = "registered";
    else status = this.#wanted ? "registering" : "unregistered";
    return { status, node: this.#node ?? null, lastError: this.#lastError ?? null };
  }

  /**
   * Removes the member for good. Resolves true once it is gone, or false if that could not be done within
   * `timeoutMs` (ZooKeeper unreachable: the member then goes when the session ends or times out).
   */
  async withdraw(timeoutMs: number): Promise<boolean> {
    this.#withdrawn = true;
    this.#wanted = false;
    this.#kick();
    const settled = new Promise<boolean>((resolve) => {
      if (!this.#running && this.#node === undefined && this.#doubtful === undefined) resolve(true);
      else this.#settledWaiters.push(() => resolve(true));
    });
    let timer: unknown;
    const timeout = new Promise<boolean>((resolve) => {
      timer = this.#timers.setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([settled, timeout]);
    this.#stopped = true;
    this.#timers.clearTimeout(timer);
    this.#timers.clearTimeout(this.#retryTimer);
    this.#stateSub.close();
    this.#changed();
    return done;
  }

  #kick(): void {
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#again = false;
      let done: boolean;
      try {
        done = await this.#step();
        this.#retryMs = MIN_RETRY_MS;
      } catch (e) {
        if (this.#stopped || (e instanceof ZkError && e.code === "closed")) {
          this.#running = false;
          return;
        }
        this.#lastError = e instanceof Error ? e.message : String(e);
        this.#changed();
        if (this.#again) continue;
        this.#running = false;
        const wait = this.#retryMs;
        this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
        this.#retryTimer = this.#timers.setTimeout(() => this.#kick(), wait);
        return;
      }
      this.#changed();
      if (done && !this.#again) break;
    }
    this.#running = false;
    if (this.#node === undefined && this.#doubtful === undefined && !this.#wanted) {
      for (const resolve of this.#settledWaiters.splice(0)) resolve();
    }
  }

  /** Does the next thing needed; resolves true when there is nothing left to do. */
  async #step(): Promise<boolean> {
    const c = this.#client;
    if (this.#node !== undefined && this.#nodeSession !== c.sessionNumber) this.#forget();
    const wanted = this.#wanted && !this.#withdrawn;
    if (this.#doubtful !== undefined && this.#doubtful !== c.sessionNumber) this.#doubtful = undefined;
    if (wanted && this.#node === undefined) {
      if (this.#doubtful !== undefined) {
        await this.#settleDoubt(true);
        return false;
      }
      const session = c.sessionNumber;
      await c.mkdirp(this.path);
      try {
        this.#node = await c.create(`${this.path}/${MEMBER_PREFIX}`, this.data, "ephemeral-sequential");
      } catch (e) {
        if (e instanceof ZkError && e.code === "connection-loss") this.#doubtful = session;
        throw e;
      }
      this.#nodeSession = session;
      this.#watching = false;
      this.#lastError = undefined;
      return false;
    }
    if (wanted && !this.#watching) {
      const node = this.#node as string;
      this.#watching = true;
      let present: boolean;
      try {
        present = await c.exists(node, this.#onNodeEvent);
      } catch (e) {
        this.#watching = false;
        throw e;
      }
      if (!present && this.#node === node) this.#forget();
      return present;
    }
    if (!wanted && this.#node !== undefined) {
      const node = this.#node;
      await c.remove(node);
      if (this.#node === node) this.#forget();
      this.#lastError = undefined;
      return false;
    }
    if (!wanted && this.#doubtful !== undefined) {
      await this.#settleDoubt(false);
      return false;
    }
    return true;
  }

  /** Finds the members this session created with this data: keeps the first when `keep`, removes the rest. */
  async #settleDoubt(keep: boolean): Promise<void> {
    const c = this.#client;
    const session = c.sessionNumber;
    const me = c.sessionIdHex();
    if (me === undefined) throw new ZkError("connection-loss", this.path, "not connected");
    const ours: string[] = [];
    for (const child of ((await c.getChildren(this.path)) ?? []).sort()) {
      if (!child.startsWith(MEMBER_PREFIX)) continue;
      const node = `${this.path}/${child}`;
      if ((await c.ephemeralOwner(node)) !== me) continue;
      if ((await c.getData(node))?.equals(this.data)) ours.push(node);
    }
    const [first, ...extra] = ours;
    if (keep && first !== undefined) {
      this.#node = first;
      this.#nodeSession = session;
      this.#watching = false;
    }
    for (const node of keep ? extra : ours) await c.remove(node);
    if (this.#doubtful === session) this.#doubtful = undefined;
  }

  readonly #onNodeEvent = (event: ZkWatchEvent): void => {
    if (event.path !== this.#node) return;
    if (event.type === "deleted") this.#forget();
    this.#watching = false;
    this.#kick();
  };

  #forget(): void {
    this.#node = undefined;
    this.#watching = false;
  }

  #changed(): void {
    const state = this.state;
    const shown = `${state.status} ${state.node} ${state.lastError}`;
    if (shown === this.#lastShown) return;
    this.#lastShown = shown;
    this.#onChange?.(state);
  }
}
