// trellis proxy on io.l5d.serversets under load while ZooKeeper fails: stopped, an ensemble node killed, a member's process killed.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { showTally, startLoad } from "./support/load.ts";
import {
  adminGet,
  Backend,
  killAll,
  metrics,
  type ProxyProcess,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";
import { memberJson, register } from "./support/serversets.ts";
import {
  fourLetterWord,
  type ZkAddr,
  ZooKeeperEnsemble,
  ZooKeeperServer,
  zookeeperUnavailable,
} from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
// Skipped suites are not counted as skipped tests: this one is, so that a run without ZooKeeper says so.
if (skip !== false) it("io.l5d.serversets fault tests against a real ZooKeeper", { skip }, () => {});
const LOCAL = "127.0.0.1";
const MEMBER_PROCESS = fileURLToPath(new URL("./support/member-process.ts", import.meta.url));
const ZK = "namer/io.l5d.serversets/zk";

interface Health {
  connected: boolean;
  state: string;
  sessionConnects: number;
  sessionDisconnects: number;
  sessionExpirations: number;
}

interface NamerState {
  connection: string;
  session: { id: string | null };
  health: Health;
}

/** The article's step 3 sidecar, on ZooKeeper at `zkAddrs`. */
function config(zkAddrs: readonly ZkAddr[]): string {
  return `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs:
${zkAddrs.map((a) => `  - {host: ${a.host}, port: ${a.port}}`).join("\n")}
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.serversets/discovery;
  servers: [{port: 0}]
`;
}

async function namerState(proxy: ProxyProcess): Promise<NamerState> {
  return JSON.parse((await adminGet(proxy.admin, "/namer_state/io.l5d.serversets.json")).text);
}

/** Resolves once the proxy's view of ZooKeeper satisfies `check`. */
async function proxyHealth(
  proxy: ProxyProcess,
  what: string,
  check: (h: Health) => boolean,
): Promise<Health> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const h = (await namerState(proxy)).health;
    if (check(h)) return h;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("trellis proxy on io.l5d.serversets while ZooKeeper fails, under load", { skip }, () => {
  const dir = tempDir("trellis-serversets-faults-");
  const cleanups: (() => unknown)[] = [];
  const children = new Set<ChildProcess>();
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await killAll();
    for (const c of cleanups.reverse()) await c();
    dir.cleanup();
  });
  function keep<T extends { close(): unknown } | { cleanup(): unknown }>(r: T): T {
    cleanups.push(() => ("cleanup" in r ? r.cleanup() : r.close()));
    return r;
  }

  it("answers every request while ZooKeeper is stopped and started again, and shows ZooKeeper's health", async () => {
    const zk = keep(await ZooKeeperServer.start());
    const zkc = keep(new ZkClient(zk.zkAddrs));
    const a = keep(await Backend.start("A"));
    await register(zkc, "/discovery/pong", memberJson(LOCAL, a.port));
    const proxy = await startProxyWith(dir.path, config(zk.zkAddrs));
    assert.equal((await send(proxy.port("outgoing"), { headers: { Host: "pong" } })).text, "A");
    assert.equal((await metrics(proxy.admin))[`${ZK}/connected`], 1);
    const index = await adminGet(proxy.admin, "/admin");
    assert.match(index.text, /^\/namer_state\/io\.l5d\.serversets\.json\t/m, "the admin index lists it");

    const load = startLoad(proxy.port("outgoing"), { Host: "pong" });
    await sleep(300);
    await zk.stop();
    const down = await proxyHealth(proxy, "the proxy sees ZooKeeper down", (h) => !h.connected);
    assert.equal(down.state, "disconnected");
    assert.equal((await metrics(proxy.admin))[`${ZK}/connected`], 0);
    const during = load.count;
    await sleep(1500);
    assert.ok(load.count > during, "requests kept being answered while ZooKeeper was down");
    await zk.start();
    await proxyHealth(proxy, "the proxy reconnects", (h) => h.connected);
    await sleep(300);
    const result = await load.stop();

    assert.equal(result.byStatus.get(200), result.requests, showTally(result));
    assert.equal(result.byBody.get("A"), result.requests);
    assert.ok(result.requests > 100, showTally(result));
    const m = await metrics(proxy.admin);
    assert.equal(m[`${ZK}/connected`], 1);
    assert.ok((m[`${ZK}/session_disconnects`] ?? 0) >= 1);
    assert.ok((m[`${ZK}/session_connects`] ?? 0) >= 2);
    assert.equal(m[`${ZK}/observed_serversets`], 1);
    await proxy.stop();
  });

  it("answers every request when the ensemble node it is connected to is killed, and still follows changes", async () => {
    const ensemble = keep(await ZooKeeperEnsemble.start(3));
    const zkc = keep(new ZkClient(ensemble.zkAddrs));
    const a = keep(await Backend.start("A"));
    const b = keep(await Backend.start("B"));
    const memberA = await register(zkc, "/discovery/pong", memberJson(LOCAL, a.port));
    const proxy = await startProxyWith(dir.path, config(ensemble.zkAddrs));
    assert.equal((await send(proxy.port("outgoing"), { headers: { Host: "pong" } })).text, "A");

    // The node that holds the proxy's session: its `cons` lists the session id.
    const sid = BigInt(`0x${(await namerState(proxy)).session.id}`);
    let holder: ZooKeeperServer | undefined;
    for (const s of ensemble.servers) {
      const cons = await fourLetterWord(s.port, "cons");
      if ([...cons.matchAll(/sid=0x([0-9a-f]+)/g)].some((m) => BigInt(`0x${m[1]}`) === sid)) holder = s;
    }
    assert.ok(holder !== undefined, "no ensemble node lists the proxy's session");

    const load = startLoad(proxy.port("outgoing"), { Host: "pong" });
    await sleep(300);
    await holder.kill();
    const back = await proxyHealth(
      proxy,
      "the proxy moves to another node",
      (h) => h.connected && h.sessionDisconnects >= 1,
    );
    assert.equal(back.sessionExpirations, 0, "the session moved with it");
    await sleep(500);
    // A change made now reaches routing: the watches moved too.
    await register(zkc, "/discovery/pong", memberJson(LOCAL, b.port));
    await zkc.remove(memberA);
    const deadline = Date.now() + 5000;
    while ((await send(proxy.port("outgoing"), { headers: { Host: "pong" } })).text !== "B") {
      assert.ok(Date.now() < deadline, "the change made after the node was killed did not reach routing");
      await sleep(20);
    }
    const result = await load.stop();
    assert.equal(result.byStatus.get(200), result.requests, showTally(result));
    assert.ok(result.requests > 100, showTally(result));
    await proxy.stop();
  });

  it("drops a member whose process is killed once its session times out, and sends everything to the rest", async () => {
    const zk = keep(await ZooKeeperServer.start());
    const zkc = keep(new ZkClient(zk.zkAddrs));
    const a = keep(await Backend.start("A"));
    await register(zkc, "/discovery/pong", memberJson(LOCAL, a.port));
    const sessionTimeoutMs = 2000;
    const child = spawn(
      process.execPath,
      [MEMBER_PROCESS, zk.connectString, "/discovery/pong", "B", String(sessionTimeoutMs)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.add(child);
    const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
    const registered = JSON.parse(line) as { port: number; member: string };
    const proxy = await startProxyWith(dir.path, config(zk.zkAddrs));
    const pong = () => send(proxy.port("outgoing"), { headers: { Host: "pong" } });
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add((await pong()).text);
    assert.deepEqual([...seen].sort(), ["A", "B"]);

    child.kill("SIGKILL");
    await once(child, "exit");
    const killedAt = Date.now();
    await sleep(sessionTimeoutMs / 4);
    assert.ok(
      (await zkc.getChildren("/discovery/pong"))?.includes(registered.member.split("/").pop() as string),
      "the member stays while its session may still be alive",
    );
    for (;;) {
      const children = (await zkc.getChildren("/discovery/pong")) ?? [];
      if (children.length === 1) break;
      assert.ok(Date.now() - killedAt < sessionTimeoutMs + 5000, "the member's node was not removed");
      await sleep(20);
    }
    // Once the node is gone, the proxy's watch moves all traffic to the remaining member within a second.
    const deadline = Date.now() + 1000;
    let inARow = 0;
    while (inARow < 20) {
      const r = await pong();
      inARow = r.status === 200 && r.text === "A" ? inARow + 1 : 0;
      assert.ok(Date.now() < deadline, `traffic did not move to A: ${r.status} ${r.text}`);
    }
    const load = startLoad(proxy.port("outgoing"), { Host: "pong" });
    await sleep(1000);
    const result = await load.stop();
    assert.equal(result.byBody.get("A"), result.requests, showTally(result));
    await proxy.stop();
  });
});
