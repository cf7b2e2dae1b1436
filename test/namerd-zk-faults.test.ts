// ZooKeeper lost under load behind namerd: namerd keeps its dtabs in ZooKeeper (io.l5d.zk) and finds services there
// (io.l5d.serversets); ZooKeeper is stopped or killed and started again on the same address while a proxy on
// io.l5d.namerd keeps sending, and not one request fails; changes made afterwards still reach routing.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { showTally, startLoad } from "./support/load.ts";
import { http, type NamerdRun, startNamerdWith } from "./support/namerd.ts";
import {
  adminGet,
  Backend,
  type ProxyProcess,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";
import { memberJson, register } from "./support/serversets.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
// Skipped suites are not counted as skipped tests: this one is, so that a run without ZooKeeper says so.
if (skip !== false) it("ZooKeeper restarted under load behind namerd", { skip }, () => {});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ZooKeeper restarted under load, namerd on io.l5d.zk storage and the io.l5d.serversets namer", {
  skip,
}, () => {
  const dir = tempDir("trellis-namerd-zk-faults-");
  let zk: ZooKeeperServer;
  let zkc: ZkClient;
  let namerd: NamerdRun;
  let proxy: ProxyProcess;
  const backends: Backend[] = [];
  let a: Backend;
  /** The backend registered in /discovery/pong: where the article's dtab sends /svc/pong. */
  let member: Backend;

  before(async () => {
    zk = await ZooKeeperServer.start();
    zkc = new ZkClient(zk.zkAddrs);
    await zkc.whenConnected();
    a = await Backend.start("A");
    backends.push(a);
    await register(zkc, "/discovery/pong", memberJson("127.0.0.1", a.port));
    member = a;
    namerd = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage:
  kind: io.l5d.zk
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
namers:
- kind: io.l5d.serversets
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
interfaces:
- {kind: io.l5d.thriftNameInterpreter, port: 0}
- {kind: io.l5d.httpController, port: 0}
`,
    );
    const created = await http(namerd.http, "POST", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: "/svc => /#/io.l5d.serversets/discovery;",
    });
    assert.equal(created.status, 204, created.body);
    const thrift = Number(
      /:(\d+)$/.exec(namerd.proc.lines.find((l) => /thriftNameInterpreter listening/.test(l)) ?? "")?.[1],
    );
    proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  interpreter:
    kind: io.l5d.namerd
    dst: /$/inet/127.1/${thrift}
    namespace: default
  servers: [{port: 0}]
`,
    );
  });

  after(async () => {
    await proxy?.stop();
    await namerd?.stop();
    await zkc?.close();
    await zk?.cleanup();
    for (const b of backends) await b.close();
    dir.cleanup();
  });

  /** Sends `Host: pong` requests until one is answered by `name`. */
  async function untilRoutedTo(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await send(proxy.port("out"), { headers: { Host: "pong" } });
      if (r.text === name) return;
      assert.ok(
        Date.now() < deadline,
        `not routed to ${name} within ${timeoutMs} ms; last: ${r.status} ${r.text}`,
      );
      await sleep(20);
    }
  }

  for (const how of ["stopped", "killed"] as const) {
    it(`ZooKeeper ${how} for 3 s and started again: 0 failed requests through the proxy, and later changes reach routing`, async () => {
      await untilRoutedTo(member.name, 10_000);
      const load = startLoad(proxy.port("out"), { Host: "pong" }, 4);
      await sleep(300);
      if (how === "stopped") await zk.stop();
      else await zk.kill();
      await sleep(3000);
      const namerState = async () =>
        JSON.parse((await adminGet(namerd.admin, "/namer_state/io.l5d.serversets.json")).text) as {
          connection: string;
        };
      assert.notEqual((await namerState()).connection, "connected", "namerd has lost ZooKeeper");
      const whileDown = load.count;
      await zk.start();
      await zkc.whenConnected(20_000);
      // Long enough for namerd's ZooKeeper clients to reconnect and read everything again under the load.
      await sleep(2000);
      const tally = await load.stop();
      assert.equal(tally.noAnswer, 0, showTally(tally));
      assert.deepEqual([...tally.byStatus.keys()], [200], showTally(tally));
      assert.deepEqual([...tally.byBody.keys()], [member.name], showTally(tally));
      assert.ok(whileDown > 0 && tally.requests > whileDown, showTally(tally));
      console.log(`# ZooKeeper ${how}: ${showTally(tally)}`);

      // namerd's serversets namer is watching again: a member added and the old one removed reach routing.
      const b = await Backend.start(`B-${how}`);
      backends.push(b);
      const memberB = await register(zkc, "/discovery/pong", memberJson("127.0.0.1", b.port));
      const members = ((await zkc.getChildren("/discovery/pong")) ?? []).map((m) => `/discovery/pong/${m}`);
      for (const m of members) if (m !== memberB) await zkc.remove(m);
      await untilRoutedTo(b.name, 10_000);
      member = b;
      // namerd's io.l5d.zk store takes writes again, and each change reaches routing.
      const putDtab = async (text: string) => {
        const put = await http(namerd.http, "PUT", "/api/1/dtabs/default", {
          headers: { "Content-Type": "application/dtab" },
          body: text,
        });
        assert.equal(put.status, 204, put.body);
      };
      await putDtab(`/svc => /#/io.l5d.serversets/discovery; /svc/pong => /$/inet/127.1/${a.port};`);
      await untilRoutedTo("A", 5000);
      await putDtab("/svc => /#/io.l5d.serversets/discovery;");
      await untilRoutedTo(member.name, 5000);
    });
  }
});
