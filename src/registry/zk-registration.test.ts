// Tests of ZkRegistration's bookkeeping on an in-memory ZooKeeper that loses answers and sessions on demand.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ZkConnectionState,
  ZkError,
  type ZkStateListener,
  type ZkWatcher,
} from "../namers/serversets/zk-client.ts";
import { type RegistrationClient, ZkRegistration } from "./zk-registration.ts";

interface Node {
  data: Buffer;
  owner: number | null;
}

/**
 * ZooKeeper in memory, as far as a registration uses it. `loseNextCreate` makes the next create fail with a
 * lost connection, after (`"after"`) or before (`"before"`) the server made the znode; `down` makes every
 * operation fail that way until it is up again.
 */
class FakeZk implements RegistrationClient {
  sessionNumber = 1;
  readonly nodes = new Map<string, Node>();
  loseNextCreate: "before" | "after" | undefined;
  down = false;
  creates = 0;
  readonly #listeners = new Set<ZkStateListener>();
  readonly #watches = new Map<string, ZkWatcher[]>();
  #counter = 0;

  sessionIdHex(): string | undefined {
    return this.down ? undefined : `5e55${this.sessionNumber}`;
  }

  onStateChange(listener: ZkStateListener): { close(): void } {
    this.#listeners.add(listener);
    return { close: () => this.#listeners.delete(listener) };
  }

  #emit(state: ZkConnectionState): void {
    for (const l of [...this.#listeners]) l(state, this.sessionNumber);
  }

  async #op(path: string): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.down) throw new ZkError("connection-loss", path, "connection lost");
  }

  async mkdirp(path: string): Promise<void> {
    await this.#op(path);
    const labels = path.split("/").slice(1);
    for (let i = 1; i <= labels.length; i++) {
      const p = `/${labels.slice(0, i).join("/")}`;
      if (!this.nodes.has(p)) this.nodes.set(p, { data: Buffer.alloc(0), owner: null });
    }
  }

  async create(path: string, data: Buffer): Promise<string> {
    await this.#op(path);
    this.creates++;
    const lose = this.loseNextCreate;
    this.loseNextCreate = undefined;
    if (lose === "before") throw new ZkError("connection-loss", path, "connection lost");
    const node = `${path}${String(this.#counter++).padStart(10, "0")}`;
    this.nodes.set(node, { data, owner: this.sessionNumber });
    if (lose === "after") throw new ZkError("connection-loss", path, "connection lost");
    return node;
  }

  async remove(path: string): Promise<boolean> {
    await this.#op(path);
    return this.deleteNode(path);
  }

  async exists(path: string, watcher?: ZkWatcher): Promise<boolean> {
    await this.#op(path);
    if (watcher !== undefined) this.#watches.set(path, [...(this.#watches.get(path) ?? []), watcher]);
    return this.nodes.has(path);
  }

  async getChildren(path: string): Promise<string[] | undefined> {
    await this.#op(path);
    if (!this.nodes.has(path)) return undefined;
    return [...this.nodes.keys()]
      .filter((p) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes("/"))
      .map((p) => p.slice(path.length + 1));
  }

  async getData(path: string): Promise<Buffer | undefined> {
    await this.#op(path);
    return this.nodes.get(path)?.data;
  }

  async ephemeralOwner(path: string): Promise<string | null | undefined> {
    await this.#op(path);
    const n = this.nodes.get(path);
    if (n === undefined) return undefined;
    return n.owner === null ? null : `5e55${n.owner}`;
  }

  deleteNode(path: string): boolean {
    const had = this.nodes.delete(path);
    const watchers = this.#watches.get(path) ?? [];
    this.#watches.delete(path);
    if (had) for (const w of watchers) w({ type: "deleted", path });
    return had;
  }

  /** The server ends the session: its ephemeral znodes go, and the client starts a new session. */
  expire(): void {
    for (const [p, n] of [...this.nodes]) if (n.owner === this.sessionNumber) this.nodes.delete(p);
    this.#watches.clear();
    this.#emit("expired");
    this.sessionNumber++;
    this.#emit("connecting");
    setImmediate(() => this.#emit("connected"));
  }

  members(path: string): string[] {
    return [...this.nodes.keys()].filter((p) => p.startsWith(`${path}/member_`)).sort();
  }
}

const DATA = Buffer.from('{"serviceEndpoint":{"host":"127.0.0.1","port":8081}}');
const PATH = "/discovery/pong";

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("ZkRegistration", () => {
  it("registers one member while wanted, removes it when not, and registers a new one when wanted again", async () => {
    const zk = new FakeZk();
    const r = new ZkRegistration(zk, PATH, DATA);
    assert.equal(r.state.status, "unregistered");
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    assert.deepEqual(zk.members(PATH), ["/discovery/pong/member_0000000000"]);
    assert.equal(r.state.node, "/discovery/pong/member_0000000000");
    assert.deepEqual(zk.nodes.get(r.state.node as string)?.data, DATA);

    r.setWanted(false);
    await until("removed", () => r.state.status === "unregistered");
    assert.deepEqual(zk.members(PATH), []);
    r.setWanted(true);
    await until("registered again", () => r.state.status === "registered");
    assert.deepEqual(zk.members(PATH), ["/discovery/pong/member_0000000001"]);
    assert.equal(await r.withdraw(1000), true);
  });

  it("keeps one member when a create's answer is lost after the server made it", async () => {
    const zk = new FakeZk();
    zk.loseNextCreate = "after";
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    assert.equal(zk.creates, 1, "the member the lost create made is found, not made again");
    assert.deepEqual(zk.members(PATH), [r.state.node]);
    await r.withdraw(1000);
    assert.deepEqual(zk.members(PATH), []);
  });

  it("creates the member again when a create was lost before the server made it", async () => {
    const zk = new FakeZk();
    zk.loseNextCreate = "before";
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    assert.equal(zk.creates, 2);
    assert.equal(zk.members(PATH).length, 1);
    await r.withdraw(1000);
  });

  it("does not take another session's member with the same data as its own", async () => {
    const zk = new FakeZk();
    // A member left by an earlier run of the same service (its session not yet timed out), same JSON.
    zk.nodes.set(PATH, { data: Buffer.alloc(0), owner: null });
    zk.nodes.set(`${PATH}/member_0000000099`, { data: DATA, owner: 42 });
    zk.loseNextCreate = "before";
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    assert.notEqual(r.state.node, `${PATH}/member_0000000099`);
    assert.equal(zk.members(PATH).length, 2, "the other session's member is left alone");
    await r.withdraw(1000);
    assert.deepEqual(zk.members(PATH), [`${PATH}/member_0000000099`]);
  });

  it("registers again, once, on a new session after the old one expired", async () => {
    const zk = new FakeZk();
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    const first = r.state.node;
    zk.expire();
    await until("registered on the new session", () => r.state.node !== null && r.state.node !== first);
    assert.deepEqual(zk.members(PATH), [r.state.node]);
    assert.equal(zk.nodes.get(r.state.node as string)?.owner, 2);
    await r.withdraw(1000);
  });

  it("registers again when someone else deletes its member", async () => {
    const zk = new FakeZk();
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered and watched", () => r.state.status === "registered");
    await new Promise((resolve) => setTimeout(resolve, 20));
    zk.deleteNode(r.state.node as string);
    await until("registered again", () => zk.members(PATH).length === 1);
    assert.equal(r.state.node, zk.members(PATH)[0]);
    await r.withdraw(1000);
  });

  it("keeps trying while ZooKeeper is unreachable, says why, and registers once it answers", async () => {
    const zk = new FakeZk();
    zk.down = true;
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("an error shown", () => r.state.lastError !== null);
    assert.equal(r.state.status, "registering");
    assert.match(r.state.lastError as string, /connection lost/);
    zk.down = false;
    await until("registered", () => r.state.status === "registered", 8000);
    assert.equal(r.state.lastError, null);
    await r.withdraw(1000);
  });

  it("withdraw resolves false when ZooKeeper cannot be told in time, and stops trying", async () => {
    const zk = new FakeZk();
    const r = new ZkRegistration(zk, PATH, DATA);
    r.setWanted(true);
    await until("registered", () => r.state.status === "registered");
    zk.down = true;
    assert.equal(await r.withdraw(300), false);
    zk.down = false;
    const creates = zk.creates;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(zk.creates, creates);
    r.setWanted(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(zk.creates, creates, "a withdrawn registration is never made again");
  });
});
