// Helpers for serverset tests: member JSON, registering members in ZooKeeper, and watching what a namer binds.

import { type ZkClient, ZkError } from "../../src/namers/serversets/zk-client.ts";
import {
  Addr,
  type BoundName,
  type Closable,
  isBound,
  type Name,
  type Namer,
  type NameTree,
  type Path,
  type State,
} from "../../src/naming/index.ts";

/** A member's JSON in the article's shape, with extra fields (status, shard, additionalEndpoints) as given. */
export function memberJson(host: string, port: number, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({ status: "ALIVE", additionalEndpoints: {}, serviceEndpoint: { host, port }, ...extra }),
  );
}

/**
 * Creates a `member_` node (ephemeral sequential) under `serverset`, creating the serverset as needed. Tries
 * again when the connection is lost meanwhile (as while an ensemble elects a leader); a member may then be
 * written twice, which the tests' address sets do not show.
 */
export async function register(client: ZkClient, serverset: string, data: Buffer): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.mkdirp(serverset);
      return await client.create(`${serverset}/member_`, data, "ephemeral-sequential");
    } catch (e) {
      if (!(e instanceof ZkError && e.code === "connection-loss") || attempt === 5) throw e;
      await client.whenConnected();
    }
  }
}

/** Resolves when `check()` is true, polling every 10 ms; rejects with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (check()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * What a namer gives for a path, observed live: the latest tree state, and the latest Addr of its leaf
 * (when the tree is a single bound leaf).
 */
export class Binding implements Closable {
  state: State<NameTree<Name>> = { kind: "pending" };
  leaf: BoundName | undefined;
  addr: Addr = Addr.pending;
  readonly #sub: Closable;
  #addrSub: Closable | undefined;

  constructor(namer: Namer, path: Path) {
    this.#sub = namer.lookup(path).observe((s) => {
      this.state = s;
      const leaf =
        s.kind === "ok" && s.value.kind === "leaf" && isBound(s.value.value) ? s.value.value : undefined;
      if (leaf === this.leaf) return;
      this.#addrSub?.close();
      this.leaf = leaf;
      this.addr = Addr.pending;
      this.#addrSub = leaf?.addr.observe((a) => {
        this.addr = a;
      });
    });
  }

  /** `neg`, `pending`, `failed`, or the leaf's id and residual as `id (residual)`. */
  get tree(): string {
    const s = this.state;
    if (s.kind !== "ok") return s.kind;
    if (s.value.kind === "neg") return "neg";
    return this.leaf === undefined ? s.value.kind : this.leaf.toString();
  }

  /** The bound addresses as sorted `ip:port` texts, or the Addr's kind. */
  get addrs(): string[] | string {
    const a = this.addr;
    if (a.kind !== "bound") return a.kind;
    return a.addrs.map((x) => `${x.ip}:${x.port}`).sort();
  }

  close(): void {
    this.#sub.close();
    this.#addrSub?.close();
  }
}
