// The article's last step as real processes: namerd from 04-namerd.yaml (ZooKeeper storage, serversets namer),
// ping's sidecar from 05-linkerd-with-namerd.yaml (interpreter io.l5d.namerd over ThriftMux), ping and pong;
// then a dtab change through namerd's HTTP API, and namerd killed and restarted under load.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { showTally, startLoad } from "./support/load.ts";
import { http } from "./support/namerd.ts";
import { freePorts } from "./support/ports.ts";
import { adminGet, send } from "./support/proxy-harness.ts";
import { memberJson, register } from "./support/serversets.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONFIGS = join(ROOT, "examples/ping-pong/configs");
const dir = mkdtempSync(join(tmpdir(), "trellis-namerd-thrift-"));
const children: ChildProcess[] = [];
const servers: Server[] = [];
const skip = zookeeperUnavailable() ?? false;
if (skip !== false) it("the article's namerd step", { skip }, () => {});

/** An article config with its ports (whole numbers) replaced, written into the test's directory. */
function articleConfig(file: string, ports: Record<number, number>): string {
  const map = new Map(Object.entries(ports).map(([k, v]) => [k, String(v)]));
  const text = readFileSync(join(CONFIGS, file), "utf8").replace(
    new RegExp(`\\b(${[...map.keys()].join("|")})\\b`, "g"),
    (p) => map.get(p) ?? p,
  );
  const out = join(dir, file);
  writeFileSync(out, text);
  return out;
}

/** Starts a process; resolves once it has printed `count` listening lines. */
function start(args: string[], count: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const clean = { ...process.env };
    for (const k of ["http_proxy", "HTTP_PROXY", "PORT", "HOST", "PONG_URL", "NO_PROXY", "no_proxy"])
      delete clean[k];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...clean, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let seen = 0;
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (/listening on/.test(line) && ++seen === count) resolve(child);
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`${args.join(" ")} exited ${code ?? signal}: ${stderr}`)),
    );
  });
}

/** An HTTP server on `ip`:`port` answering every request with `name`. */
async function answering(name: string, ip: string, port: number): Promise<Server> {
  const s = createHttpServer((_req, res) => res.end(name));
  s.listen(port, ip);
  await once(s, "listening");
  servers.push(s);
  return s;
}

/** Sends `Host: pong` requests through the sidecar until the body is `body`; resolves with how long it took. */
async function untilRoutedTo(port: number, body: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await send(port, { path: "/pong", headers: { Host: "pong" } });
    if (r.text === body) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`not routed to ${body} within ${timeoutMs} ms; last answer ${r.status} ${r.text}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

after(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
          setTimeout(() => c.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("the article's namerd step (04-namerd.yaml and 05-linkerd-with-namerd.yaml as written)", {
  skip,
}, () => {
  let zk: ZooKeeperServer;
  let zkc: ZkClient;
  /** The session that registered pong, so closing it deregisters pong. */
  let pongSession: ZkClient;
  const p: Record<string, number> = {};
  let namerdConfig = "";
  let namerd: ChildProcess;

  before(async () => {
    zk = await ZooKeeperServer.start();
    zkc = new ZkClient(zk.zkAddrs);
    pongSession = new ZkClient(zk.zkAddrs);
    await Promise.all([zkc.whenConnected(), pongSession.whenConnected()]);
    const names = [
      "thrift",
      "http",
      "namerdAdmin",
      "ping",
      "pong",
      "pingOut",
      "pingIn",
      "pongIn",
      "pingAdmin",
      "pongAdmin",
    ];
    const ports = await freePorts(names.length);
    names.forEach((n, i) => {
      p[n] = ports[i] as number;
    });
    const zkPort = zk.zkAddrs[0]?.port as number;
    namerdConfig = articleConfig("04-namerd.yaml", {
      9991: p.namerdAdmin as number,
      2181: zkPort,
      4100: p.thrift as number,
      4180: p.http as number,
    });
    const sidecar = articleConfig("05-linkerd-with-namerd.yaml", {
      9990: p.pingAdmin as number,
      4100: p.thrift as number,
      4001: p.pingOut as number,
      4002: p.pingIn as number,
      4004: p.pongIn as number,
      8001: p.ping as number,
    });
    // pong's sidecar: its incoming router on 127.0.0.1 only, so that other loopback addresses can be other "hosts".
    const pongSidecar = join(dir, "pong-sidecar.yaml");
    writeFileSync(
      pongSidecar,
      `admin: {port: ${p.pongAdmin}}
routers:
- protocol: http
  label: incoming
  dtab: /svc/* => /$/inet/127.1/${p.pong};
  servers: [{port: ${p.pongIn}, ip: 127.0.0.1}]
`,
    );
    // pong registers itself with its own port; the sidecars' io.l5d.port transformer sends to pong's sidecar.
    await register(pongSession, "/discovery/pong", memberJson("127.0.0.1", p.pong as number));
    namerd = await start(["bin/trellis.js", "namerd", namerdConfig], 3);
    const created = await http(p.http as number, "POST", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: "/svc => /#/io.l5d.serversets/discovery;",
    });
    assert.equal(created.status, 204, created.body);
    await Promise.all([
      start(["examples/ping-pong/pong.ts", "--port", String(p.pong)], 1),
      start(["bin/trellis.js", "proxy", pongSidecar], 2),
      start(["bin/trellis.js", "proxy", sidecar], 3),
    ]);
    await start(["examples/ping-pong/ping.ts", "--port", String(p.ping)], 1, {
      http_proxy: `http://127.0.0.1:${p.pingOut}`,
    });
  });

  after(async () => {
    zkc?.close();
    pongSession?.close();
    await zk?.stop();
  });

  it("ping -> ping's sidecar -> (namerd binds /svc/pong) -> pong's sidecar -> pong", async () => {
    const res = await fetch(`http://127.0.0.1:${p.ping}/`);
    assert.equal(await res.text(), "I'm ping, talk to pong with response: pong");
    const state = JSON.parse(
      (await adminGet(p.pingAdmin as number, "/outging/interpreter_state/io.l5d.namerd/default.json")).text,
    );
    assert.equal(state.connection.state, "connected");
    assert.equal(state.bind["/svc/pong"].state, "ok");
    assert.equal(state.bind["/svc/pong"].value, "/#/io.l5d.serversets/discovery/pong");
    assert.equal(state.addr["/#/io.l5d.serversets/discovery/pong"].value, `127.0.0.1:${p.pong}`);
  });

  it("a dtab change through namerd's HTTP API reaches routing within a second", async () => {
    await answering("B", "127.0.0.2", p.pongIn as number);
    const put = await http(p.http as number, "PUT", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: "/svc => /#/io.l5d.serversets/discovery; /svc/pong => /$/inet/127.0.0.2/1;",
    });
    assert.equal(put.status, 204, put.body);
    const ms = await untilRoutedTo(p.pingOut as number, "B", 1000);
    console.log(`# dtab change reached routing in ${ms.toFixed(0)} ms`);
    const back = await http(p.http as number, "PUT", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: "/svc => /#/io.l5d.serversets/discovery;",
    });
    assert.equal(back.status, 204);
    await untilRoutedTo(p.pingOut as number, "pong", 1000);
  });

  it("namerd killed: routing goes on; restarted: the sidecar reconnects and picks up what changed meanwhile", async () => {
    const load = startLoad(p.pingOut as number, { Host: "pong" }, 2);
    await new Promise((r) => setTimeout(r, 200));
    namerd.kill("SIGKILL");
    await once(namerd, "exit");
    // While namerd is away, pong moves: a new instance on 127.0.0.3 registers, the old one's session ends.
    await answering("C", "127.0.0.3", p.pongIn as number);
    await register(zkc, "/discovery/pong", memberJson("127.0.0.3", p.pong as number));
    pongSession.close();
    await new Promise((r) => setTimeout(r, 500));
    const during = load.count;
    assert.ok(during > 0);
    namerd = await start(["bin/trellis.js", "namerd", namerdConfig], 3);
    // The default retry (5 s base, jittered) bounds how long the sidecar takes to come back.
    await untilRoutedTo(p.pingOut as number, "C", 20_000);
    const tally = await load.stop();
    assert.equal(tally.noAnswer, 0, showTally(tally));
    assert.deepEqual([...tally.byStatus.keys()], [200], showTally(tally));
    const state = JSON.parse(
      (await adminGet(p.pingAdmin as number, "/outging/interpreter_state/io.l5d.namerd/default.json")).text,
    );
    assert.equal(state.connection.state, "connected");
    assert.ok(state.connection.disconnects >= 1);
  });

  it("speaks ThriftMux on the wire: Finagle's handshake and a `dtab` call, bytes written by hand", async () => {
    const s = connect({ host: "127.0.0.1", port: p.thrift as number });
    await once(s, "connect");
    let got = Buffer.alloc(0);
    s.on("data", (c: Buffer) => {
      got = Buffer.concat([got, c]);
    });
    const frame = async (): Promise<Buffer> => {
      while (got.length < 4 || got.length < 4 + got.readUInt32BE(0))
        await new Promise((r) => setTimeout(r, 5));
      const f = got.subarray(0, 4 + got.readUInt32BE(0));
      got = got.subarray(f.length);
      return f;
    };
    const hex = (h: string) => Buffer.from(h.replace(/\s/g, ""), "hex");
    s.write(Buffer.concat([hex("0000000f 7f 000001"), Buffer.from("tinit check")]));
    assert.deepEqual(await frame(), Buffer.concat([hex("0000000f 7f 000001"), Buffer.from("tinit check")]));
    s.write(
      Buffer.concat([
        hex("0000001c 44 000001 0001 0000000a"),
        Buffer.from("mux-framer"),
        hex("00000004 7fffffff"),
      ]),
    );
    assert.equal((await frame()).readInt8(4), -68, "Rinit");
    // Tdispatch tag 2: no contexts, dst or dtab; the thrift call dtab(DtabReq{stamp: "", ns: "default", clientId: []}).
    const call = Buffer.concat([
      hex("80010001 00000004"),
      Buffer.from("dtab"),
      hex("00000001 0c 0001 0b 0001 00000000 0b 0002 00000007"),
      Buffer.from("default"),
      hex("0f 0003 0b 00000000 00 00"),
    ]);
    const body = Buffer.concat([hex("0000 0000 0000"), call]);
    s.write(Buffer.concat([Buffer.from([0, 0, 0, 4 + body.length]), hex("02 000002"), body]));
    const reply = await frame();
    assert.equal(reply.readInt8(4), -2, "Rdispatch");
    assert.equal(reply.readUIntBE(5, 3), 2, "tag 2");
    assert.equal(reply[8], 0, "status OK");
    const thrift = reply.subarray(11);
    // Reply header, then dtab_result {0: DtabRef {1: stamp (8 bytes), 2: the dtab text}}.
    assert.deepEqual(
      thrift.subarray(0, 16),
      Buffer.concat([hex("80010002 00000004"), Buffer.from("dtab"), hex("00000001")]),
    );
    assert.deepEqual(thrift.subarray(16, 26), hex("0c 0000 0b 0001 00000008"));
    const text = "/svc=>/#/io.l5d.serversets/discovery";
    assert.deepEqual(
      thrift.subarray(34),
      Buffer.concat([
        hex(`0b 0002 ${text.length.toString(16).padStart(8, "0")}`),
        Buffer.from(text),
        hex("00 00"),
      ]),
    );
    s.destroy();
  });
});
