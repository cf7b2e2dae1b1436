// io.l5d.serversets against a real ZooKeeper: members, endpoints, shards, residuals, and ZooKeeper stopped, expired or down.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ServersetsNamer } from "../src/namers/serversets/serversets-namer.ts";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { CONFIGURED_NAMER_PREFIX, readPath } from "../src/naming/index.ts";
import { freePorts } from "./support/ports.ts";
import {
  adminGet,
  Backend,
  killAll,
  l5dErr,
  type ProxyProcess,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";
import { Binding, memberJson, register, waitFor } from "./support/serversets.ts";
import {
  forceExpiry,
  ZooKeeperEnsemble,
  ZooKeeperServer,
  zookeeperUnavailable,
} from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
// Skipped suites are not counted as skipped tests: this one is, so that a run without ZooKeeper says so.
if (skip !== false) it("io.l5d.serversets against a real ZooKeeper", { skip }, () => {});
const PREFIX = CONFIGURED_NAMER_PREFIX.concat(readPath("/io.l5d.serversets"));
const LOCAL = "127.0.0.1";

/** Everything a test opened, closed after it (namers and bindings first, then clients, then servers). */
class Resources {
  readonly #closers: (() => unknown)[] = [];
  add<T extends { close(): unknown } | { cleanup(): unknown }>(r: T): T {
    this.#closers.push(() => ("cleanup" in r ? r.cleanup() : r.close()));
    return r;
  }
  async closeAll(): Promise<void> {
    for (const c of this.#closers.splice(0).reverse()) await c();
  }
}

describe("io.l5d.serversets namer", { skip }, () => {
  const res = new Resources();
  let zk: ZooKeeperServer;
  let zkc: ZkClient;

  before(async () => {
    zk = res.add(await ZooKeeperServer.start());
    zkc = res.add(new ZkClient(zk.zkAddrs));
    await zkc.whenConnected();
  });
  after(() => res.closeAll());

  function bind(path: string): Binding {
    const namer = res.add(new ServersetsNamer(zk.zkAddrs, PREFIX, { sessionTimeoutMs: 2000 }));
    return res.add(new Binding(namer, readPath(path)));
  }

  it("binds the article's member, and follows members coming and going within a second", async () => {
    const a = await register(zkc, "/discovery/pong", memberJson(LOCAL, 8002));
    assert.equal(a, "/discovery/pong/member_0000000000");
    const b = bind("/discovery/pong");
    await waitFor("bound", () => b.addrs.length === 1);
    assert.equal(b.tree, "/#/io.l5d.serversets/discovery/pong");
    assert.deepEqual(b.addrs, ["127.0.0.1:8002"]);

    const second = await register(zkc, "/discovery/pong", memberJson(LOCAL, 8003));
    await waitFor("the new member", () => b.addrs.length === 2, 1000);
    assert.deepEqual(b.addrs, ["127.0.0.1:8002", "127.0.0.1:8003"]);
    await zkc.remove(a);
    await waitFor("the member removed", () => b.addrs.length === 1, 1000);
    assert.deepEqual(b.addrs, ["127.0.0.1:8003"]);
    await zkc.remove(second);
    await waitFor("Neg once no member is left", () => b.tree === "neg", 1000);
  });

  it("ignores members that are not ALIVE or not JSON, and follows a member's status", async () => {
    const alive = await register(zkc, "/status/pong", memberJson(LOCAL, 9001));
    const dead = await register(zkc, "/status/pong", memberJson(LOCAL, 9002, { status: "DEAD" }));
    await register(zkc, "/status/pong", Buffer.from("not json"));
    await zkc.create("/status/pong/not_a_member", memberJson(LOCAL, 9004));
    const b = bind("/status/pong");
    await waitFor("bound", () => b.addr.kind === "bound");
    assert.deepEqual(b.addrs, ["127.0.0.1:9001"]);
    await zkc.setData(dead, memberJson(LOCAL, 9002));
    await waitFor("the member now ALIVE", () => b.addrs.length === 2, 1000);
    await zkc.setData(alive, memberJson(LOCAL, 9001, { status: "STOPPING" }));
    await waitFor("the member now STOPPING", () => b.addrs.length === 1, 1000);
    assert.deepEqual(b.addrs, ["127.0.0.1:9002"]);
  });

  it("selects an additional endpoint with :endpoint and a shard with #shard", async () => {
    const endpoints = (n: number) => ({
      http: { host: LOCAL, port: 7100 + n },
      admin: { host: LOCAL, port: 7200 + n },
    });
    await register(
      zkc,
      "/sharded/web",
      memberJson(LOCAL, 7000, { shard: 0, additionalEndpoints: endpoints(0) }),
    );
    await register(
      zkc,
      "/sharded/web",
      memberJson(LOCAL, 7001, { shard: 1, additionalEndpoints: endpoints(1) }),
    );
    await register(
      zkc,
      "/sharded/web",
      memberJson(LOCAL, 7002, { additionalEndpoints: { http: endpoints(2).http } }),
    );
    const cases: [string, string[]][] = [
      ["/sharded/web", ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"]],
      ["/sharded/web:http", ["127.0.0.1:7100", "127.0.0.1:7101", "127.0.0.1:7102"]],
      ["/sharded/web:admin", ["127.0.0.1:7200", "127.0.0.1:7201"]],
      ["/sharded/web#1", ["127.0.0.1:7001"]],
      ["/sharded/web:admin#0", ["127.0.0.1:7200"]],
    ];
    for (const [path, expected] of cases) {
      const b = bind(path);
      await waitFor(path, () => b.addr.kind === "bound");
      assert.deepEqual(b.addrs, expected, path);
      assert.equal(b.tree, `/#/io.l5d.serversets${path}`, "the id keeps the endpoint and shard");
    }
    const none = bind("/sharded/web:nosuch");
    await waitFor("Neg for an endpoint no member has", () => none.tree === "neg");
  });

  it("takes the longest serverset with members as the id and the rest as the residual, down to Neg", async () => {
    await register(zkc, "/res/discovery/pong", memberJson(LOCAL, 6000));
    const b = bind("/res/discovery/pong/v1/users");
    await waitFor("bound", () => b.addr.kind === "bound");
    assert.equal(b.tree, "/#/io.l5d.serversets/res/discovery/pong (residual /v1/users)");

    // A longer serverset that gets members takes over, as the id with the shorter residual.
    await register(zkc, "/res/discovery/pong/v1", memberJson(LOCAL, 6001));
    await waitFor("the longer serverset", () => b.tree.includes("(residual /users)"), 1000);
    assert.equal(b.tree, "/#/io.l5d.serversets/res/discovery/pong/v1 (residual /users)");
    assert.deepEqual(b.addrs, ["127.0.0.1:6001"]);

    const empty = bind("/res/discovery");
    const missing = bind("/nothere/at/all");
    await waitFor("Neg", () => empty.tree === "neg" && missing.tree === "neg");
  });

  it("binds every member of a serverset of 2,000, and follows a change among them", async () => {
    // Thousands of small answers arrive several to a read, and the list of children spans reads.
    const ports = Array.from({ length: 2000 }, (_, i) => 20_000 + i);
    await zkc.mkdirp("/large/pong");
    for (let i = 0; i < ports.length; i += 250) {
      await Promise.all(
        ports
          .slice(i, i + 250)
          .map((p) => zkc.create("/large/pong/member_", memberJson(LOCAL, p), "ephemeral-sequential")),
      );
    }
    const b = bind("/large/pong");
    await waitFor("bound", () => b.addr.kind === "bound", 30_000);
    assert.equal(b.addrs.length, 2000);
    assert.deepEqual(b.addrs, ports.map((p) => `127.0.0.1:${p}`).sort());
    const victim = `/large/pong/${((await zkc.getChildren("/large/pong")) ?? []).sort()[7]}`;
    const gone = JSON.parse(((await zkc.getData(victim)) as Buffer).toString()).serviceEndpoint.port;
    await zkc.remove(victim);
    await register(zkc, "/large/pong", memberJson(LOCAL, 30_000));
    await waitFor("the change", () => b.addrs.includes("127.0.0.1:30000") && b.addrs.length === 2000, 5000);
    assert.ok(!b.addrs.includes(`127.0.0.1:${gone}`), "the member removed");
  });

  it("shows ZooKeeper's connection and each watched serverset in state()", async () => {
    await register(zkc, "/shown/pong", memberJson(LOCAL, 5000, { shard: 3 }));
    const namer = res.add(new ServersetsNamer(zk.zkAddrs, PREFIX));
    const b = res.add(new Binding(namer, readPath("/shown/pong")));
    await waitFor("bound", () => b.addr.kind === "bound");
    const state = namer.state() as {
      connection: string;
      session: { number: number; id: string };
      serversets: Record<string, { state: string; members: Record<string, unknown>; observers: number }>;
    };
    assert.equal(state.connection, "connected");
    assert.equal(state.session.number, 1);
    assert.match(state.session.id, /^[0-9a-f]{16}$/);
    const pong = state.serversets["/shown/pong"];
    assert.equal(pong?.state, "present");
    assert.equal(pong?.observers, 1);
    assert.deepEqual(pong?.members, {
      member_0000000000: {
        status: "ALIVE",
        serviceEndpoint: { host: LOCAL, port: 5000 },
        additionalEndpoints: {},
        shard: 3,
      },
    });
  });
});

describe("io.l5d.serversets when ZooKeeper fails", { skip }, () => {
  const res = new Resources();
  after(() => res.closeAll());

  it("stays Pending on a cold start with ZooKeeper down, and binds once ZooKeeper is up", async () => {
    const [port] = (await freePorts(1)) as [number];
    const namer = res.add(new ServersetsNamer([{ host: LOCAL, port }], PREFIX, { sessionTimeoutMs: 2000 }));
    const b = res.add(new Binding(namer, readPath("/cold/pong")));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(b.tree, "pending", "no Neg and no empty answer while nothing is known");
    assert.equal(namer.state().connection, "connecting");
    const zk = res.add(await ZooKeeperServer.start({ port }));
    const zkc = res.add(new ZkClient(zk.zkAddrs));
    await register(zkc, "/cold/pong", memberJson(LOCAL, 4000));
    await waitFor("bound once ZooKeeper is up", () => b.addr.kind === "bound");
    assert.deepEqual(b.addrs, ["127.0.0.1:4000"]);
  });

  it("keeps the last addresses while ZooKeeper is stopped, and sees changes made once it is back", async () => {
    const zk = res.add(await ZooKeeperServer.start());
    const zkc = res.add(new ZkClient(zk.zkAddrs));
    const a = await register(zkc, "/down/pong", memberJson(LOCAL, 3000));
    const namer = res.add(new ServersetsNamer(zk.zkAddrs, PREFIX, { sessionTimeoutMs: 4000 }));
    const b = res.add(new Binding(namer, readPath("/down/pong")));
    await waitFor("bound", () => b.addr.kind === "bound");
    const watches = namer.state().watches;

    await zk.stop();
    await waitFor("disconnected", () => namer.client.state === "disconnected");
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(b.addrs, ["127.0.0.1:3000"], "the last known addresses stay");
    assert.equal(b.tree, "/#/io.l5d.serversets/down/pong");

    await zk.start();
    await waitFor("reconnected", () => namer.client.state === "connected" && zkc.state === "connected");
    assert.equal(namer.client.sessionNumber, 1, "the same session");
    await register(zkc, "/down/pong", memberJson(LOCAL, 3001));
    await zkc.remove(a);
    await waitFor("the change made after the restart", () => b.addrs.toString() === "127.0.0.1:3001", 1000);
    assert.equal(namer.state().watches, watches, "as many watches as before: set again, not added");
  });

  it("sets its watches again on a new session after its session is expired", async () => {
    const zk = res.add(await ZooKeeperServer.start());
    const zkc = res.add(new ZkClient(zk.zkAddrs));
    const a = await register(zkc, "/expiry/pong", memberJson(LOCAL, 2000));
    const namer = res.add(new ServersetsNamer(zk.zkAddrs, PREFIX, { sessionTimeoutMs: 1000 }));
    const b = res.add(new Binding(namer, readPath("/expiry/pong")));
    await waitFor("bound", () => b.addr.kind === "bound");

    await forceExpiry(zk.port, namer.client);
    assert.ok(namer.client.sessionNumber >= 2);
    assert.deepEqual(b.addrs, ["127.0.0.1:2000"], "the last known addresses stay across the new session");
    await register(zkc, "/expiry/pong", memberJson(LOCAL, 2001));
    await waitFor("a member added on the new session", () => b.addrs.length === 2, 1000);
    await zkc.remove(a);
    await waitFor("a member removed on the new session", () => b.addrs.toString() === "127.0.0.1:2001", 1000);
    assert.equal(namer.state().connection, "connected");
  });

  it("keeps its addresses and its watches when the ensemble's leader is killed", async () => {
    const ensemble = res.add(await ZooKeeperEnsemble.start(3));
    const zkc = res.add(new ZkClient(ensemble.zkAddrs));
    await register(zkc, "/ensemble/pong", memberJson(LOCAL, 1000));
    const namer = res.add(new ServersetsNamer(ensemble.zkAddrs, PREFIX, { sessionTimeoutMs: 4000 }));
    const b = res.add(new Binding(namer, readPath("/ensemble/pong")));
    await waitFor("bound", () => b.addr.kind === "bound");

    await (await ensemble.leader()).kill();
    assert.deepEqual(b.addrs, ["127.0.0.1:1000"]);
    await register(zkc, "/ensemble/pong", memberJson(LOCAL, 1001));
    await waitFor("a member added after the new leader is elected", () => b.addrs.length === 2);
    assert.equal(namer.client.sessionNumber, 1, "the session moved to another server");
  });
});

describe("io.l5d.serversets in trellis proxy", { skip }, () => {
  const res = new Resources();
  const dir = tempDir("trellis-serversets-e2e-");
  after(async () => {
    await killAll();
    await res.closeAll();
    dir.cleanup();
  });

  /** The article's step 3 sidecar config, with ZooKeeper's port and test ports. */
  const config = (zkPort: number, extra = "") => `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs:
  - host: 127.0.0.1
    port: ${zkPort}
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.serversets/discovery;
  servers: [{port: 0}]
${extra}`;

  const pong = (proxy: ProxyProcess) => send(proxy.port("outgoing"), { headers: { Host: "pong" } });

  async function namerState(
    proxy: ProxyProcess,
  ): Promise<{ connection: string; serversets: Record<string, unknown> }> {
    return JSON.parse((await adminGet(proxy.admin, "/namer_state/io.l5d.serversets.json")).text);
  }

  it("routes through the member, keeps answering while ZooKeeper is stopped, and follows a change after", async () => {
    const zk = res.add(await ZooKeeperServer.start());
    const zkc = res.add(new ZkClient(zk.zkAddrs));
    const a = res.add(await Backend.start("A"));
    const b = res.add(await Backend.start("B"));
    const memberA = await register(zkc, "/discovery/pong", memberJson(LOCAL, a.port));
    assert.equal(memberA, "/discovery/pong/member_0000000000");
    const proxy = await startProxyWith(dir.path, config(zk.port));
    const first = await pong(proxy);
    assert.equal(first.status, 200);
    assert.equal(first.text, "A");
    assert.equal(a.last.headers["l5d-dst-client"], "/#/io.l5d.serversets/discovery/pong");

    await zk.stop();
    let answered = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const r = await pong(proxy);
      assert.equal(r.status, 200, `while ZooKeeper is stopped: ${r.status} ${r.text}`);
      assert.equal(r.text, "A");
      answered++;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(answered > 10);
    const down = await namerState(proxy);
    assert.notEqual(down.connection, "connected");
    assert.deepEqual(Object.keys((down.serversets["/discovery/pong"] as { members: object }).members), [
      "member_0000000000",
    ]);

    await zk.start();
    await waitFor("reconnected", () => zkc.state === "connected");
    const up = Date.now() + 10_000;
    while ((await namerState(proxy)).connection !== "connected") {
      assert.ok(Date.now() < up, "the proxy did not reconnect to ZooKeeper");
      await new Promise((r) => setTimeout(r, 20));
    }
    await register(zkc, "/discovery/pong", memberJson(LOCAL, b.port));
    await zkc.remove(memberA);
    const deadline = Date.now() + 1000;
    while ((await pong(proxy)).text !== "B") {
      assert.ok(
        Date.now() < deadline,
        "the change made after the restart did not reach routing within a second",
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    await proxy.stop();
  });

  it("answers 503 after bindingTimeoutMs when started with ZooKeeper down, then routes once it is up", async () => {
    const [zkPort] = (await freePorts(1)) as [number];
    const a = res.add(await Backend.start("A"));
    const proxy = await startProxyWith(
      dir.path,
      config(zkPort).replace("  label: outgoing", "  label: outgoing\n  bindingTimeoutMs: 500"),
    );
    const started = Date.now();
    const r = await pong(proxy);
    assert.equal(r.status, 503);
    assert.ok(Date.now() - started < 3000, "answered without hanging");
    assert.match(l5dErr(r.headers["l5d-err"]) ?? "", /\/svc\/pong/);

    const zk = res.add(await ZooKeeperServer.start({ port: zkPort }));
    const zkc = res.add(new ZkClient(zk.zkAddrs));
    await register(zkc, "/discovery/pong", memberJson(LOCAL, a.port));
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await pong(proxy);
      if (ok.status === 200) break;
      assert.ok(Date.now() < deadline, `not routed within 5 s of ZooKeeper coming up: ${ok.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await proxy.stop();
  });
});
