// `trellis register` end to end: its arguments, a member registered in a real ZooKeeper, health gating, SIGTERM.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import {
  Backend,
  killAll,
  REPO_ROOT,
  runTrellis,
  send,
  startProxyWith,
  TRELLIS_BIN,
  tempDir,
} from "./support/proxy-harness.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe("trellis register: its arguments", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = await runTrellis(["register", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: trellis register --zk HOST:PORT/);
    assert.match(r.stdout, /--health-url URL/);
    const top = await runTrellis(["--help"]);
    assert.match(top.stdout, /register +Register a service without a sidecar/);
  });

  const mistakes: [string[], RegExp][] = [
    [[], /^trellis: register: --zk HOST:PORT is required/],
    [["--zk", "127.0.0.1:2181", "--address", "127.0.0.1:80"], /--path ZNODE is required/],
    [["--zk", "127.0.0.1:2181", "--path", "/d/p"], /--address HOST:PORT is required/],
    [["--zk", "127.0.0.1:99999", "--path", "/d/p", "--address", "127.0.0.1:80"], /--zk expects HOST:PORT/],
    [["--zk", "zk", "--path", "d/p", "--address", "127.0.0.1:80"], /--path expects a znode path/],
    [["--zk", "zk", "--path", "/d/p", "--address", "127.0.0.1"], /--address expects HOST:PORT/],
    [["--zk", "zk", "--path", "/d/p", "--address", "0.0.0.0:80"], /not a wildcard/],
    [
      ["--zk", "zk", "--path", "/d/p", "--address", "h:1", "--endpoint", "admin"],
      /--endpoint expects NAME=HOST:PORT/,
    ],
    [
      ["--zk", "zk", "--path", "/d/p", "--address", "h:1", "--health-url", "nope"],
      /--health-url expects an http/,
    ],
    [["--zk", "zk", "--path", "/d/p", "--address", "h:1", "--health-interval-ms", "5"], /needs --health-url/],
    [["--zk", "zk", "--path", "/d/p", "--address", "h:1", "--shard", "x"], /--shard expects an integer/],
    [["--zk", "zk", "--bogus"], /Unknown option '--bogus'/],
    [["--zk", "zk", "extra"], /positional argument/],
  ];
  for (const [args, message] of mistakes) {
    it(`exits 2 with one line for: register ${args.join(" ") || "(nothing)"}`, async () => {
      const r = await runTrellis(["register", ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\bat \//, "no stack trace");
    });
  }
});

describe("trellis register against a real ZooKeeper", { skip }, () => {
  const dir = tempDir("trellis-register-");
  const children: ChildProcess[] = [];
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await killAll();
    for (const c of closers.reverse()) await c();
    dir.cleanup();
  });

  it("registers a service with its endpoints while healthy, is found by a proxy, and removes it on SIGTERM", async () => {
    const zk = await ZooKeeperServer.start();
    closers.push(() => zk.cleanup());
    const zkc = new ZkClient(zk.zkAddrs);
    closers.push(() => zkc.close());
    const api = await Backend.start("api");
    closers.push(() => api.close());
    let healthy = true;
    const health: Server = createServer((_req, res) => res.writeHead(healthy ? 200 : 500).end());
    await new Promise<void>((r) => health.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => health.close(r)));
    const hp = (health.address() as AddressInfo).port;

    const child = spawn(
      process.execPath,
      [
        TRELLIS_BIN,
        "register",
        "--zk",
        `${zk.connectString},127.0.0.1:1`,
        "--path",
        "/discovery/api",
        "--address",
        `127.0.0.1:${api.port}`,
        "--endpoint",
        "admin=127.0.0.1:9999",
        "--health-url",
        `http://127.0.0.1:${hp}/health`,
        "--health-interval-ms",
        "200",
        "--session-timeout-ms",
        "2000",
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let stdout = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    const exited = once(child, "exit");
    const members = async () =>
      ((await zkc.getChildren("/discovery/api")) ?? []).filter((c) => c.startsWith("member_")).sort();

    await eventually("registered", async () => (await members()).length === 1);
    const node = `/discovery/api/${(await members())[0]}`;
    assert.deepEqual(JSON.parse((await zkc.getData(node))?.toString() ?? ""), {
      serviceEndpoint: { host: "127.0.0.1", port: api.port },
      additionalEndpoints: { admin: { host: "127.0.0.1", port: 9999 } },
      status: "ALIVE",
      shard: 0,
    });
    assert.notEqual(await zkc.ephemeralOwner(node), null);
    assert.match(stdout, new RegExp(`trellis: announced 127\\.0\\.0\\.1:${api.port} as ${node}\\n`));

    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.serversets/discovery;
  servers: [{port: 0}]
`,
    );
    const r = await send(proxy.port("http"), { headers: { Host: "api" } });
    assert.equal(r.status, 200);
    assert.equal(r.text, "api");

    healthy = false;
    await eventually("removed while unhealthy", async () => (await members()).length === 0, 5000);
    assert.match(stdout, /health check of 127\.0\.0\.1:\d+ failing \(GET .*: status 500\)/);
    healthy = true;
    await eventually("back once healthy", async () => (await members()).length === 1, 5000);

    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
    assert.deepEqual(await members(), [], "removed on SIGTERM");
    assert.match(stdout, /trellis: stopping\ntrellis: removed \/discovery\/api\/member_\d+/);
    await proxy.stop();
  });
});
