// Announcers against a real ZooKeeper: the member a sidecar registers, health gating, expired sessions, SIGTERM, kill -9.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { StandaloneRegistration } from "../src/registry/standalone-registration.ts";
import { freePorts } from "./support/ports.ts";
import {
  adminGet,
  Backend,
  killAll,
  type ProxyProcess,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";
import { forceExpiry, ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
if (skip !== false) it("announcers against a real ZooKeeper", { skip }, () => {});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The member znodes of a serverset, sorted. */
async function members(zkc: ZkClient, serverset: string): Promise<string[]> {
  return ((await zkc.getChildren(serverset)) ?? []).filter((c) => c.startsWith("member_")).sort();
}

/** Polls until `check` holds (every 10 ms, up to `timeoutMs`); resolves with how long it took. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A sidecar whose incoming router sends everything to `backendPort` and announces itself as `name`. */
function sidecar(
  zkPort: number,
  backendPort: number,
  name: string,
  o: { sessionTimeoutMs?: number; unannounceDelayMs?: number; server?: string } = {},
): string {
  return `admin: {port: 0}
routers:
- protocol: http
  label: incoming
  announcers:
  - kind: io.l5d.serversets
    zkAddrs: [{host: 127.0.0.1, port: ${zkPort}}]
    sessionTimeoutMs: ${o.sessionTimeoutMs ?? 4000}
    unannounceDelayMs: ${o.unannounceDelayMs ?? 0}
  dtab: /svc/* => /$/inet/127.1/${backendPort};
  servers:
  - port: 0
    announce: [/#/io.l5d.serversets/${name}]
${o.server ?? ""}`;
}

/** A proxy that finds `/svc/<name>` in ZooKeeper serversets under /discovery. */
const client = (zkPort: number) => `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs: [{host: 127.0.0.1, port: ${zkPort}}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.serversets/discovery;
  servers: [{port: 0}]
`;

interface AnnouncerPage {
  announcers: { connection: string; zkAddrs: string }[];
  announcements: {
    router: string;
    name: string;
    address: string;
    serverset: string;
    state: string;
    node: string | null;
    health: { state: string; lastError: string | null } | null;
    lastError: string | null;
  }[];
}

async function announcerPage(proxy: ProxyProcess): Promise<AnnouncerPage> {
  const r = await adminGet(proxy.admin, "/admin/announcer");
  assert.equal(r.status, 200);
  return JSON.parse(r.text) as AnnouncerPage;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe("announcers in trellis proxy", { skip }, () => {
  const dir = tempDir("trellis-announcers-");
  const closers: (() => unknown)[] = [];
  let zk: ZooKeeperServer;
  let zkc: ZkClient;

  before(async () => {
    zk = await ZooKeeperServer.start();
    zkc = new ZkClient(zk.zkAddrs);
    await zkc.whenConnected();
  });
  after(async () => {
    await killAll();
    for (const c of closers.reverse()) await c();
    await zkc?.close();
    await zk?.cleanup();
    dir.cleanup();
  });

  async function backend(name: string): Promise<Backend> {
    const b = await Backend.start(name);
    closers.push(() => b.close());
    return b;
  }

  it("registers the server's address as an ephemeral sequential member in serverset JSON, shown at /admin/announcer", async () => {
    const pong = await backend("pong");
    const proxy = await startProxyWith(dir.path, sidecar(zk.port, pong.port, "pong"));
    const port = proxy.port("incoming");
    await eventually("registered", async () => (await members(zkc, "/discovery/pong")).length === 1);
    const [member] = await members(zkc, "/discovery/pong");
    assert.equal(member, "member_0000000000");
    const node = `/discovery/pong/${member}`;
    assert.equal(
      (await zkc.getData(node))?.toString(),
      `{"serviceEndpoint":{"host":"127.0.0.1","port":${port}},"additionalEndpoints":{},"status":"ALIVE","shard":0}`,
    );
    assert.match((await zkc.ephemeralOwner(node)) ?? "", /^[0-9a-f]{16}$/, "ephemeral, owned by a session");
    await proxy.line(new RegExp(`^trellis: announced 127\\.0\\.0\\.1:${port} as ${node}$`));

    const page = await announcerPage(proxy);
    assert.equal(page.announcers[0]?.connection, "connected");
    assert.deepEqual(page.announcements, [
      {
        router: "incoming",
        server: `127.0.0.1:${port}`,
        name: "/#/io.l5d.serversets/pong",
        address: `127.0.0.1:${port}`,
        announcer: "/#/io.l5d.serversets",
        serverset: "/discovery/pong",
        state: "registered",
        node,
        health: null,
        lastError: null,
      },
    ]);
    assert.equal((await proxy.stop()).code, 0);
    assert.deepEqual(await members(zkc, "/discovery/pong"), [], "removed when the proxy stops");
  });

  it("registers only while the health check passes: removed within seconds of failing, back once passing", async () => {
    let healthy = true;
    const health: Server = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((r) => health.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => health.close(r)));
    const hp = (health.address() as AddressInfo).port;
    const svc = await backend("svc");
    const proxy = await startProxyWith(
      dir.path,
      sidecar(zk.port, svc.port, "gated").replace(
        "    announce:",
        `    healthCheck: {url: "http://127.0.0.1:${hp}/health", intervalMs: 200, timeoutMs: 500}\n    announce:`,
      ),
    );
    await eventually("registered", async () => (await members(zkc, "/discovery/gated")).length === 1);

    healthy = false;
    const gone = await eventually(
      "removed once failing",
      async () => (await members(zkc, "/discovery/gated")).length === 0,
      5000,
    );
    assert.ok(gone < 5000, `removed after ${gone} ms`);
    const down = (await announcerPage(proxy)).announcements[0];
    assert.equal(down?.state, "unregistered");
    assert.equal(down?.node, null);
    assert.equal(down?.health?.state, "failing");
    assert.match(down?.health?.lastError ?? "", /status 503/);
    await proxy.line(/health check of 127\.0\.0\.1:\d+ failing \(GET .*: status 503\): withdrawing it/);
    await sleep(600);
    assert.deepEqual(await members(zkc, "/discovery/gated"), [], "stays away while failing");

    healthy = true;
    await eventually(
      "back once passing",
      async () => (await members(zkc, "/discovery/gated")).length === 1,
      5000,
    );
    assert.deepEqual(await members(zkc, "/discovery/gated"), ["member_0000000001"]);
    assert.equal((await announcerPage(proxy)).announcements[0]?.state, "registered");
    await proxy.stop();
  });

  it("on SIGTERM removes the member first and serves until clients have moved: no request fails", async () => {
    const [a, b] = [await backend("A"), await backend("B")];
    const pa = await startProxyWith(dir.path, sidecar(zk.port, a.port, "web", { unannounceDelayMs: 1000 }));
    const pb = await startProxyWith(dir.path, sidecar(zk.port, b.port, "web", { unannounceDelayMs: 1000 }));
    await eventually("both registered", async () => (await members(zkc, "/discovery/web")).length === 2);
    const c = await startProxyWith(dir.path, client(zk.port));
    const web = () => send(c.port("outgoing"), { headers: { Host: "web" } });
    await eventually("both reached", async () => {
      await web();
      return a.requests.length > 0 && b.requests.length > 0;
    });

    let running = true;
    const answers: string[] = [];
    const failures: string[] = [];
    const load = (async () => {
      while (running) {
        const r = await web().catch((e: Error) => ({ status: 0, text: e.message }));
        if (r.status === 200) answers.push(r.text);
        else failures.push(`${r.status} ${r.text}`);
      }
    })();

    const aPort = pa.port("incoming");
    pa.child.kill("SIGTERM");
    const removedAfter = await eventually(
      "A's member removed",
      async () => (await members(zkc, "/discovery/web")).length === 1,
    );
    assert.ok(await accepts(aPort), "A still accepts connections once its member is gone");
    const closedAfter = await eventually("A's listener closed", async () => !(await accepts(aPort)));
    assert.ok(closedAfter > 0, `A stopped listening ${removedAfter + closedAfter} ms after SIGTERM`);
    assert.equal((await pa.exited).code, 0);
    const afterExit = answers.length;
    await sleep(300);
    running = false;
    await load;
    assert.deepEqual(failures, [], "no request failed while A shut down");
    assert.ok(answers.length > afterExit, "requests kept flowing after A exited");
    assert.deepEqual(new Set(answers.slice(afterExit)), new Set(["B"]));

    // POST /admin/shutdown does the same.
    const bPort = pb.port("incoming");
    const shut = await send(pb.admin, { method: "POST", path: "/admin/shutdown" });
    assert.equal(shut.status, 200);
    await eventually("B's member removed", async () => (await members(zkc, "/discovery/web")).length === 0);
    assert.ok(await accepts(bPort), "B still accepts connections once its member is gone");
    assert.equal((await pb.exited).code, 0);
    await c.stop();
  });

  it("a killed member's node goes when its session times out, and traffic moves to the other member", async () => {
    const [a, b] = [await backend("A"), await backend("B")];
    const pa = await startProxyWith(dir.path, sidecar(zk.port, a.port, "killed", { sessionTimeoutMs: 2000 }));
    const pb = await startProxyWith(dir.path, sidecar(zk.port, b.port, "killed", { sessionTimeoutMs: 2000 }));
    await eventually("both registered", async () => (await members(zkc, "/discovery/killed")).length === 2);
    const c = await startProxyWith(dir.path, client(zk.port));
    const killed = () => send(c.port("outgoing"), { headers: { Host: "killed" } });
    await eventually("A reached", async () => (await killed()).text === "A");

    pa.child.kill("SIGKILL");
    const killedAt = Date.now();
    const stillThere = (await members(zkc, "/discovery/killed")).length;
    if (Date.now() - killedAt < 1000)
      assert.equal(stillThere, 2, "the node outlives the process until its session times out");
    await eventually(
      "A's node gone",
      async () => (await members(zkc, "/discovery/killed")).length === 1,
      15_000,
    );
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await killed();
      assert.equal(r.status, 200, `after A's node went: ${r.status} ${r.text}`);
      answers.add(r.text);
    }
    assert.deepEqual(answers, new Set(["B"]));
    await Promise.all([pb.stop(), c.stop()]);
  });

  it("keeps trying while ZooKeeper is down at start, and registers once it is up", async () => {
    const [zkPort] = (await freePorts(1)) as [number];
    const svc = await backend("late");
    const proxy = await startProxyWith(dir.path, sidecar(zkPort, svc.port, "late"));
    await sleep(500);
    const waiting = await announcerPage(proxy);
    assert.equal(waiting.announcements[0]?.state, "registering");
    assert.notEqual(waiting.announcers[0]?.connection, "connected");
    const late = await ZooKeeperServer.start({ port: zkPort });
    closers.push(() => late.cleanup());
    const lc = new ZkClient(late.zkAddrs);
    closers.push(() => lc.close());
    await eventually(
      "registered once ZooKeeper is up",
      async () => (await members(lc, "/discovery/late")).length === 1,
      15_000,
    );
    assert.equal((await announcerPage(proxy)).announcements[0]?.state, "registered");
    await proxy.stop();
  });
});

describe("a registration across expired sessions and ZooKeeper restarts", { skip }, () => {
  it("registers again on each new session, and there is never more than one member", async () => {
    const zk = await ZooKeeperServer.start();
    const zkc = new ZkClient(zk.zkAddrs);
    const reg = new StandaloneRegistration({
      zkAddrs: zk.zkAddrs,
      serverset: "/discovery/expiring",
      member: { serviceEndpoint: { host: "127.0.0.1", port: 7000 } },
      sessionTimeoutMs: 1000,
      log: () => {},
    });
    try {
      let most = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          most = Math.max(most, (await members(zkc, "/discovery/expiring")).length);
          await sleep(5);
        }
      })();
      reg.start();
      await eventually("registered", async () => reg.announcement.registration.state.status === "registered");
      const client = reg.announcer.client as ZkClient;
      for (let round = 1; round <= 2; round++) {
        const before = reg.announcement.registration.state.node;
        await forceExpiry(zk.port, client);
        await eventually("registered on the new session", async () => {
          const node = reg.announcement.registration.state.node;
          return node !== null && node !== before && (await members(zkc, "/discovery/expiring")).length === 1;
        });
        const [member] = await members(zkc, "/discovery/expiring");
        assert.equal(`/discovery/expiring/${member}`, reg.announcement.registration.state.node);
        assert.equal(await zkc.ephemeralOwner(`/discovery/expiring/${member}`), client.sessionIdHex());
      }
      await sleep(300);
      watching = false;
      await watcher;
      assert.equal(most, 1, "never two members at once");
      assert.equal(await reg.stop(), true);
      assert.deepEqual(await members(zkc, "/discovery/expiring"), []);
    } finally {
      await reg.stop();
      await zkc.close();
      await zk.cleanup();
    }
  });
  it("stays registered, once, across a ZooKeeper restart", async () => {
    const zk = await ZooKeeperServer.start();
    const zkc = new ZkClient(zk.zkAddrs);
    const reg = new StandaloneRegistration({
      zkAddrs: zk.zkAddrs,
      serverset: "/discovery/restarted",
      member: { serviceEndpoint: { host: "127.0.0.1", port: 7001 } },
      sessionTimeoutMs: 4000,
      log: () => {},
    });
    try {
      reg.start();
      await eventually("registered", async () => (await members(zkc, "/discovery/restarted")).length === 1);
      await zk.stop();
      await sleep(1000);
      assert.equal(
        reg.announcement.registration.state.status,
        "registered",
        "the member lives with its session",
      );
      await zk.start();
      await eventually(
        "back",
        async () => zkc.state === "connected" && reg.announcer.client?.state === "connected",
      );
      await sleep(300);
      const after = await members(zkc, "/discovery/restarted");
      assert.equal(after.length, 1);
      assert.equal(`/discovery/restarted/${after[0]}`, reg.announcement.registration.state.node);
    } finally {
      await reg.stop();
      await zkc.close();
      await zk.cleanup();
    }
  });
});
