// The article's mesh from its own config files: ping -> sidecar(s) -> pong, as real processes on real sockets.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ARTICLE_PORTS, type MeshPorts, writeMeshConfigs } from "../examples/ping-pong/mesh-configs.ts";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { freePorts } from "./support/ports.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONFIGS = join(ROOT, "examples/ping-pong/configs");
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "trellis-article-"));
const skip = zookeeperUnavailable() ?? false;
if (skip !== false) it("the article's mesh on ZooKeeper", { skip }, () => {});

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
  rmSync(dir, { recursive: true, force: true });
});

/** A free port for every one of the article's (the services, the sidecars' routers and admins, namerd's). */
async function freeMeshPorts(): Promise<MeshPorts> {
  const names = Object.keys(ARTICLE_PORTS) as (keyof MeshPorts)[];
  const ports = await freePorts(names.length);
  return Object.fromEntries(names.map((n, i) => [n, ports[i]])) as MeshPorts;
}

/** The config file with each of the article's ports replaced (as whole numbers) by the given ones. */
function withPorts(file: string, ports: Record<number, number>): string {
  let text = readFileSync(join(CONFIGS, file), "utf8");
  for (const [from, to] of Object.entries(ports))
    text = text.replace(new RegExp(`\\b${from}\\b`, "g"), String(to));
  const out = join(dir, file.replaceAll("/", "-"));
  writeFileSync(out, text);
  return out;
}

/** Starts a process and resolves once it has printed `count` lines saying it is listening. */
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
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

async function metric(adminPort: number, name: string): Promise<number> {
  const all = (await (await fetch(`http://127.0.0.1:${adminPort}/admin/metrics.json`)).json()) as Record<
    string,
    number
  >;
  return all[name] ?? 0;
}

describe("the article's mesh", () => {
  it("01-sidecar.yaml as written: ping -> its sidecar -> pong, with `http_proxy` and `http://pong/pong`", async () => {
    const [pong, ping, sidecar, admin] = (await freePorts(4)) as [number, number, number, number];
    const config = withPorts("01-sidecar.yaml", { 8002: pong, 4001: sidecar, 9990: admin });
    await start(["examples/ping-pong/pong.ts", "--port", String(pong)], 1);
    await start(["bin/trellis.js", "proxy", config], 2);
    await start(["examples/ping-pong/ping.ts", "--port", String(ping)], 1, {
      http_proxy: `http://127.0.0.1:${sidecar}`,
    });
    const answer = await get(`http://127.0.0.1:${ping}/`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    // The router is labelled `outging`, the article's spelling, and it counted the call.
    assert.equal(await metric(admin, `rt/outging/server/0.0.0.0/${sidecar}/requests`), 1);
    assert.equal(await metric(admin, "rt/outging/service/svc/pong/requests"), 1);
  });

  it("both sidecars (the Service Mesh section), on files: ping -> ping's sidecar -> pong's sidecar -> pong, counted by both", async () => {
    const p = await freeMeshPorts();
    const files = writeMeshConfigs(mkdtempSync(join(dir, "local-")), p);
    await start(["examples/ping-pong/pong.ts", "--port", String(p.pong)], 1);
    await start(["bin/trellis.js", "proxy", files.pongSidecar], 3);
    await start(["bin/trellis.js", "proxy", files.pingSidecar], 3);
    await start(["examples/ping-pong/ping.ts", "--port", String(p.ping)], 1, {
      http_proxy: `http://127.0.0.1:${p.pingOut}`,
    });
    for (let i = 0; i < 3; i++) {
      const answer = await get(`http://127.0.0.1:${p.ping}/`);
      assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    }
    assert.equal(await metric(p.pingAdmin, `rt/outgoing/server/127.0.0.1/${p.pingOut}/requests`), 3);
    // pong's sidecar is found in the file disco/pong, through the io.l5d.fs namer.
    assert.equal(await metric(p.pingAdmin, "rt/outgoing/client/#/io.l5d.fs/pong/requests"), 3);
    assert.equal(await metric(p.pongAdmin, `rt/incoming/server/127.0.0.1/${p.pongIn}/requests`), 3);
    assert.equal(await metric(p.pongAdmin, "rt/incoming/service/svc/pong/success"), 3);
  });
});

/** Runs `npm start`'s script with `args` (always on free ports); resolves with it and its ports once it is up. */
async function runMesh(
  args: string[],
): Promise<{ child: ChildProcess; output: () => string; port: (what: string) => number }> {
  const child = spawn(process.execPath, ["examples/ping-pong/run-mesh.ts", "--free-ports", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stderr?.on("data", (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      output += `${line}\n`;
      if (/^Ctrl-C stops everything\.$/.test(line)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`run-mesh exited ${code}:\n${output}`)));
  });
  const port = (what: string) => {
    const m = new RegExp(`^  ${what} +http://127\\.0\\.0\\.1:(\\d+)/`, "m").exec(output);
    if (m === null) throw new Error(`no ${what} address in:\n${output}`);
    return Number(m[1]);
  };
  return { child, output: () => output, port };
}

async function stopMesh(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  return exited;
}

/** The `Via` of pong's answer to `GET http://pong/pong` sent to ping's sidecar as to a proxy: one entry per sidecar. */
function viaThrough(proxyPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: proxyPort,
        path: "http://pong/pong",
        headers: { Host: "pong" },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(String(res.headers.via ?? "")));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Runs one command line as a user would type it (sh, from the repository root, Node 24 first on PATH). */
function shell(line: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", line], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    child.once("exit", (code) => resolve({ code, out }));
  });
}

/** Polls `check` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Mesh = Awaited<ReturnType<typeof runMesh>>;

/** A sidecar's ports as the banner prints them. */
function sidecarPorts(mesh: Mesh, name: "ping" | "pong"): { out: number; in: number; admin: number } {
  const m = new RegExp(
    `^  ${name} sidecar +outgoing (\\d+), incoming (\\d+), admin http://127\\.0\\.0\\.1:(\\d+)/`,
    "m",
  ).exec(mesh.output());
  assert.ok(m, `no ${name} sidecar line in:\n${mesh.output()}`);
  return { out: Number(m[1]), in: Number(m[2]), admin: Number(m[3]) };
}

/**
 * The banner's route change, its command lines run as printed: `trellis dtab update` sends pong's calls straight
 * to pong (ping's calls stop going through pong's sidecar), and the second one puts the article's dtab back.
 */
async function changeRouteAndBack(mesh: Mesh, boundAs: string): Promise<void> {
  const ping = sidecarPorts(mesh, "ping");
  const pong = sidecarPorts(mesh, "pong");
  const pongPort = mesh.port("pong");
  const state = JSON.parse(
    (await get(`http://127.0.0.1:${ping.admin}/outgoing/interpreter_state/io.l5d.namerd/default.json`)).body,
  );
  assert.equal(state.connection.state, "connected");
  assert.equal(state.bind["/svc/pong"].value, boundAs, "namerd bound /svc/pong");
  assert.equal(await viaThrough(ping.out), "1.1 linkerd, 1.1 linkerd", "through both sidecars");

  const updates = mesh
    .output()
    .split("\n")
    .filter((l) => /npx trellis dtab update default/.test(l));
  assert.equal(updates.length, 2, mesh.output());
  const away = await shell(updates[0] as string);
  assert.equal(away.code, 0, away.out);
  assert.equal(away.out, "Updated default\n");
  await eventually("the new dtab routes", async () => (await viaThrough(ping.out)) === "1.1 linkerd");
  // ping's own calls now go straight to pong too: pong's sidecar no longer sees them.
  const pongSidecarBefore = await metric(pong.admin, "rt/incoming/service/svc/pong/requests");
  const answer = await get(`http://127.0.0.1:${mesh.port("ping")}/`);
  assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
  assert.equal(await metric(pong.admin, "rt/incoming/service/svc/pong/requests"), pongSidecarBefore);
  assert.ok((await metric(ping.admin, `rt/outgoing/client/$/inet/127.1/${pongPort}/requests`)) >= 2);

  const back = await shell(updates[1] as string);
  assert.equal(back.code, 0, back.out);
  assert.equal(back.out, "Updated default\n");
  await eventually(
    "the article's dtab routes again",
    async () => (await viaThrough(ping.out)) === "1.1 linkerd, 1.1 linkerd",
  );
  assert.equal(
    (await get(`http://127.0.0.1:${mesh.port("ping")}/`)).body,
    "I'm ping, talk to pong with response: pong",
  );
  assert.equal(await metric(pong.admin, "rt/incoming/service/svc/pong/requests"), pongSidecarBefore + 2);
}

describe("npm start (the article's final topology, with namerd)", () => {
  it("runs namerd and the mesh on files with nothing else running; a printed `trellis dtab update` reroutes ping's calls live", async () => {
    const mesh = await runMesh([]);
    assert.match(
      mesh.output(),
      /Service discovery: namerd's io\.l5d\.fs namer, one file per service in \S+disco/,
    );
    assert.match(mesh.output(), /^dtab +\| Created default$/m);
    assert.match(mesh.output(), /namespace default is \/svc => \/#\/io\.l5d\.fs;/);
    const answer = await get(`http://127.0.0.1:${mesh.port("ping")}/`);
    assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    await changeRouteAndBack(mesh, "/#/io.l5d.fs/pong");
    const dataDir = /^kept in (\S+) \(io\.trellis\.durable/m.exec(mesh.output())?.[1] as string;
    assert.ok(existsSync(join(dataDir, "dtabs.json")), "namerd keeps its dtabs on disk");
    assert.equal(await stopMesh(mesh.child), 0);
    assert.equal(existsSync(dataDir), false, "and the mesh removes them when it stops");
  });
});

describe("the article's mesh on ZooKeeper", { skip }, () => {
  let zk: ZooKeeperServer;
  let zkc: ZkClient;
  before(async () => {
    zk = await ZooKeeperServer.start();
    zkc = new ZkClient(zk.zkAddrs);
    await zkc.whenConnected();
  });
  after(async () => {
    await zkc?.close();
    await zk?.cleanup();
  });

  const members = async (serverset: string) =>
    ((await zkc.getChildren(serverset)) ?? []).filter((c) => c.startsWith("member_"));

  it("02-service-discovery.yaml as written finds pong's sidecar, registered by its announcer (zk/pong-sidecar.yaml)", async () => {
    const p = await freeMeshPorts();
    const files = writeMeshConfigs(mkdtempSync(join(dir, "zk-")), p, zk.zkAddrs);
    // The article's ping sidecar, with the test's ports and ZooKeeper's; its admin moved off the default 9990.
    const pingSidecar = withPorts("02-service-discovery.yaml", { 4001: p.pingOut, 2181: zk.port });
    writeFileSync(pingSidecar, `${readFileSync(pingSidecar, "utf8")}admin:\n  port: ${p.pingAdmin}\n`);
    await start(["examples/ping-pong/pong.ts", "--port", String(p.pong)], 1);
    const pongSidecar = await start(["bin/trellis.js", "proxy", files.pongSidecar], 3);
    const deadline = Date.now() + 10_000;
    while ((await members("/discovery/pong")).length === 0) {
      assert.ok(Date.now() < deadline, "pong's sidecar did not register");
      await new Promise((r) => setTimeout(r, 20));
    }
    const [member] = await members("/discovery/pong");
    assert.deepEqual(JSON.parse((await zkc.getData(`/discovery/pong/${member}`))?.toString() ?? ""), {
      serviceEndpoint: { host: "127.0.0.1", port: p.pongIn },
      additionalEndpoints: {},
      status: "ALIVE",
      shard: 0,
    });
    await start(["bin/trellis.js", "proxy", pingSidecar], 2);
    await start(["examples/ping-pong/ping.ts", "--port", String(p.ping)], 1, {
      http_proxy: `http://127.0.0.1:${p.pingOut}`,
    });
    const answer = await get(`http://127.0.0.1:${p.ping}/`);
    assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    assert.equal(
      await metric(p.pingAdmin, "rt/outging/client/#/io.l5d.serversets/discovery/pong/requests"),
      1,
    );
    assert.equal(await metric(p.pongAdmin, "rt/incoming/service/svc/pong/success"), 1);
    const stopped = new Promise((r) => pongSidecar.once("exit", r));
    pongSidecar.kill("SIGTERM");
    await stopped;
    assert.deepEqual(
      await members("/discovery/pong"),
      [],
      "pong's sidecar removed its member when it stopped",
    );
  });

  it("npm start -- --zk: namerd finds services in ZooKeeper, where the sidecars register themselves (and remove themselves on Ctrl-C); a printed `trellis dtab update` reroutes live", async () => {
    const mesh = await runMesh(["--zk", zk.connectString]);
    const pongIn = sidecarPorts(mesh, "pong").in;
    const pingIn = sidecarPorts(mesh, "ping").in;
    assert.match(mesh.output(), /Service discovery: namerd's io\.l5d\.serversets namer on ZooKeeper/);
    assert.match(
      mesh.output(),
      new RegExp(`registered its incoming router: /discovery/pong \\(127\\.0\\.0\\.1:${pongIn}\\)`),
    );
    assert.match(mesh.output(), /namespace default is \/svc => \/#\/io\.l5d\.serversets\/discovery;/);
    const registered = async (serverset: string) =>
      Promise.all(
        (await members(serverset)).map(
          async (m) =>
            (
              JSON.parse((await zkc.getData(`${serverset}/${m}`))?.toString() ?? "{}") as {
                serviceEndpoint: { port: number };
              }
            ).serviceEndpoint.port,
        ),
      );
    assert.deepEqual(await registered("/discovery/pong"), [Number(pongIn)]);
    assert.deepEqual(await registered("/discovery/ping"), [Number(pingIn)]);
    const answer = await get(`http://127.0.0.1:${mesh.port("ping")}/`);
    assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    await changeRouteAndBack(mesh, "/#/io.l5d.serversets/discovery/pong");
    assert.equal(await stopMesh(mesh.child), 0);
    assert.deepEqual(await members("/discovery/pong"), [], "pong's sidecar removed itself");
    assert.deepEqual(await members("/discovery/ping"), [], "ping's sidecar removed itself");
  });
});
