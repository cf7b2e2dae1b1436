// A live view of one serverset znode: its member_* children and their JSON, kept current by watches; the last view stays while ZooKeeper is away.

import { Cell } from "../../naming/index.ts";
import { MemberSyntaxError, parseMember, type ServersetMember } from "./serverset-member.ts";
import type { WatchRouter } from "./watch-router.ts";
import { type ZkClient, ZkError, type ZkWatchEvent } from "./zk-client.ts";

/** What is known of a serverset: not yet, no such znode, its members (in name order), or why it cannot be read. */
export type ServersetState =
  | { readonly kind: "pending" }
  | { readonly kind: "absent" }
  | { readonly kind: "present"; readonly members: readonly ServersetMember[] }
  | { readonly kind: "failed"; readonly error: string };

/** A member znode's parsed data, or why it could not be parsed. */
type MemberEntry = { readonly member: ServersetMember } | { readonly error: string };

/** The prefix of member znodes (ephemeral sequential: `member_0000000000`). */
export const MEMBER_PREFIX = "member_";
/** How long to wait before reading again after an error that is not a lost connection. */
const RETRY_MS = 1000;
/**
 * How many member reads are in flight at once. Reading 10,000 members all at once kept them all alive together
 * and left the process about 100 MB larger than reading them 256 at a time, for no faster a bind.
 */
const READ_WINDOW = 256;

const PENDING: ServersetState = Object.freeze({ kind: "pending" });
const ABSENT: ServersetState = Object.freeze({ kind: "absent" });

/**
 * Watches one serverset. Reads are serialized: a change noticed while reading marks what is stale and is read
 * in the next pass, so a burst of changes costs one pass and never a loop. A read cut by a lost connection or
 * an expired session leaves the last view as it is; the namer calls `refresh` when the connection is back
 * (`full` for a new session, whose watches must all be set again).
 */
export class ServersetWatch {
  readonly path: string;
  readonly state = new Cell<ServersetState>(PENDING);
  readonly #client: ZkClient;
  readonly #router: WatchRouter;
  /** The member znodes the last read of the children found; undefined when the znode did not exist. */
  #children: Set<string> | undefined = new Set();
  /** The data of those read so far. */
  readonly #members = new Map<string, MemberEntry>();
  #childrenStale = true;
  readonly #staleMembers = new Set<string>();
  #running = false;
  #stopped = false;
  #changed = false;
  #retry: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #updatedAt: Date | undefined;

  constructor(path: string, client: ZkClient, router: WatchRouter) {
    this.path = path;
    this.#client = client;
    this.#router = router;
    router.route(path, () => this.#childrenChanged());
    void this.#run();
  }

  /** Reads the children again (and every member's data too when `full`), setting their watches again. */
  refresh(full = false): void {
    if (this.#stopped) return;
    this.#childrenStale = true;
    if (full) for (const name of this.#children ?? []) this.#staleMembers.add(name);
    void this.#run();
  }

  /** Stops watching; what is in flight finishes unheard. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#router.unroute(this.path);
    for (const name of this.#children ?? []) this.#router.unroute(this.#memberPath(name));
  }

  /** How many member znodes it knows of. */
  get memberCount(): number {
    return this.#children?.size ?? 0;
  }

  /** The view for `/namer_state`: state, members by znode name, last error. */
  toJSON(): Record<string, unknown> {
    const s = this.state.get();
    const members: Record<string, unknown> = {};
    for (const name of [...(this.#children ?? [])].sort()) {
      const e = this.#members.get(name);
      members[name] = e === undefined ? { state: "not read yet" } : "error" in e ? e : memberJson(e.member);
    }
    return {
      state: s.kind,
      ...(s.kind === "failed" ? { error: s.error } : {}),
      members,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      ...(this.#updatedAt !== undefined ? { updated: this.#updatedAt.toISOString() } : {}),
    };
  }

  #memberPath(name: string): string {
    return `${this.path}/${name}`;
  }

  #childrenChanged(): void {
    this.#childrenStale = true;
    void this.#run();
  }

  #memberChanged(name: string, event: ZkWatchEvent): void {
    if (event.type === "deleted") this.#childrenStale = true;
    else this.#staleMembers.add(name);
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    try {
      while (!this.#stopped && (this.#childrenStale || this.#staleMembers.size > 0)) {
        await this.#pass();
        this.#publish();
      }
    } catch (e) {
      this.#publish();
      this.#failed(e);
    } finally {
      this.#running = false;
    }
  }

  /** One pass: the children if stale, then the data of stale members. What it could not read stays stale. */
  async #pass(): Promise<void> {
    if (this.#childrenStale) {
      this.#childrenStale = false;
      let children: string[] | undefined;
      try {
        const watcher = this.#router.watcherFor(this.path);
        children = await this.#client.getChildren(this.path, watcher);
        // No znode: watch for its creation.
        if (children === undefined && (await this.#client.exists(this.path, watcher))) {
          this.#childrenStale = true;
          return;
        }
      } catch (e) {
        this.#childrenStale = true;
        throw e;
      }
      if (this.#stopped) return;
      this.#applyChildren(children);
    }
    const names = [...this.#staleMembers];
    this.#staleMembers.clear();
    const results = await settledInWindow(names, READ_WINDOW, (name) => this.#readMember(name));
    let failure: unknown;
    results.forEach((r, i) => {
      if (r.status !== "rejected") return;
      failure ??= r.reason;
      const name = names[i] as string;
      if (this.#children?.has(name)) this.#staleMembers.add(name);
    });
    if (failure !== undefined) throw failure;
  }

  #applyChildren(children: string[] | undefined): void {
    const current =
      children === undefined ? undefined : new Set(children.filter((c) => c.startsWith(MEMBER_PREFIX)));
    for (const name of this.#children ?? []) {
      if (current?.has(name)) continue;
      this.#members.delete(name);
      this.#staleMembers.delete(name);
      this.#router.unroute(this.#memberPath(name));
      this.#changed = true;
    }
    for (const name of current ?? []) {
      if (this.#children?.has(name)) continue;
      this.#staleMembers.add(name);
      this.#router.route(this.#memberPath(name), (event) => this.#memberChanged(name, event));
    }
    if ((current === undefined) !== (this.#children === undefined) || this.state.get().kind === "pending") {
      this.#changed = true;
    }
    this.#children = current;
  }

  async #readMember(name: string): Promise<void> {
    const path = this.#memberPath(name);
    const data = await this.#client.getData(path, this.#router.watcherFor(path));
    // Deleted since the children were read: the children watch says so too, and the next pass drops it.
    if (this.#stopped || data === undefined) return;
    let entry: MemberEntry;
    try {
      entry = { member: parseMember(data.toString("utf8")) };
    } catch (e) {
      if (!(e instanceof MemberSyntaxError)) throw e;
      entry = { error: `${path}: ${e.message}` };
    }
    this.#members.set(name, entry);
    this.#changed = true;
  }

  #publish(): void {
    if (!this.#changed || this.#stopped) return;
    this.#changed = false;
    this.#updatedAt = new Date();
    if (this.#children === undefined) {
      this.state.set(ABSENT);
      return;
    }
    const members: ServersetMember[] = [];
    for (const name of [...this.#children].sort()) {
      const e = this.#members.get(name);
      if (e !== undefined && "member" in e) members.push(e.member);
    }
    this.state.set({ kind: "present", members });
  }

  #failed(e: unknown): void {
    if (this.#stopped) return;
    // A lost connection or session keeps the last view; the namer refreshes when ZooKeeper is back.
    if (e instanceof ZkError && ["connection-loss", "session-expired", "closed"].includes(e.code)) return;
    const message = e instanceof Error ? e.message : String(e);
    this.#lastError = message;
    if (this.state.get().kind === "pending") this.state.set({ kind: "failed", error: message });
    this.#retry = setTimeout(() => this.refresh(), RETRY_MS);
    this.#retry.unref();
  }
}

function memberJson(m: ServersetMember): Record<string, unknown> {
  return {
    status: m.status ?? null,
    serviceEndpoint: m.serviceEndpoint ?? null,
    additionalEndpoints: Object.fromEntries(m.additionalEndpoints),
    ...(m.shard !== undefined ? { shard: m.shard } : {}),
  };
}

/** `Promise.allSettled` of `f` over `items`, with at most `window` calls pending at a time. */
async function settledInWindow<T, R>(
  items: readonly T[],
  window: number,
  f: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await f(items[i] as T) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  return results;
}
