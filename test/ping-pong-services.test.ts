// Runs the ping-pong example's ping and pong as real processes and checks their replies, proxy use and exits.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { proxyConfigFromEnv, proxyFor } from "../examples/ping-pong/go-http-get.ts";

const dir = join(import.meta.dirname, "..", "examples", "ping-pong");

interface Service {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every line the service has written to standard output so far, the `listening on` line first. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const servers: Server[] = [];

/** An environment without the caller's proxy settings, so that only what a test sets reaches the service. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(https?_proxy|no_proxy|all_proxy|port|host|pong_url|request_method)$/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Starts `name`.ts on a port the OS picks and waits for its `listening on 127.0.0.1:PORT` line. */
async function start(name: "ping" | "pong", env: Record<string, string> = {}): Promise<Service> {
  const child = spawn(process.execPath, [join(dir, `${name}.ts`), "--port", "0"], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const exited = once(child, "exit").then(([code]) => code as number | null);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const lines: string[] = [];
  const first = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(line);
    });
    void exited.then((code) => reject(new Error(`${name} exited with ${code} before listening: ${stderr}`)));
    setTimeout(() => reject(new Error(`${name} did not print its port within 10 s`)), 10_000).unref();
  });
  const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(await first);
  assert.ok(m, `first line of ${name}: ${lines[0]}`);
  return { child, port: Number(m[1]), lines, exited };
}

/** GET `path` from 127.0.0.1:`port`; the status and the body as text. */
function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** An in-test HTTP server on a port the OS picks. */
async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port on which nothing listens (just released by the OS). */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => {});
  server.close();
  await once(server, "close");
  return port;
}

after(async () => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    }),
  );
});

describe("pong", () => {
  it("answers /pong with pong and / with a line saying it is pong, logging each request", async () => {
    const pong = await start("pong");
    assert.deepEqual(await fetchText(pong.port, "/pong"), { status: 200, body: "pong" });
    assert.deepEqual(await fetchText(pong.port, "/pong?x=1"), { status: 200, body: "pong" });
    assert.deepEqual(await fetchText(pong.port, "/"), { status: 200, body: "I'm pong\n" });
    // pong logs after it answers, so its last line may still be on its way through the pipe.
    const handled = () => pong.lines.filter((l) => l.endsWith(" Handle request")).length;
    for (let i = 0; i < 100 && handled() < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(handled(), 3);
  });

  it("exits 0 on SIGTERM", async () => {
    const pong = await start("pong");
    pong.child.kill("SIGTERM");
    assert.equal(await pong.exited, 0);
  });
});

describe("ping", () => {
  it("answers /ping with ping and a newline", async () => {
    const ping = await start("ping", { PONG_URL: `http://127.0.0.1:${await closedPort()}/pong` });
    assert.deepEqual(await fetchText(ping.port, "/ping"), { status: 200, body: "ping\n" });
  });

  it("relays pong's answer on /, with no newline added (Fprintf)", async () => {
    const pong = await start("pong");
    const ping = await start("ping", { PONG_URL: `http://127.0.0.1:${pong.port}/pong` });
    assert.deepEqual(await fetchText(ping.port, "/"), {
      status: 200,
      body: "I'm ping, talk to pong with response: pong",
    });
  });

  it("with http_proxy set, sends `GET http://pong/pong` with `Host: pong` to the proxy", async () => {
    const seen: { requestLine: string; host: string | undefined }[] = [];
    const proxy = await listen((req, res) => {
      seen.push({ requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`, host: req.headers.host });
      res.end("pong via the sidecar");
    });
    const ping = await start("ping", { http_proxy: `http://127.0.0.1:${proxy.port}` });
    assert.deepEqual(await fetchText(ping.port, "/"), {
      status: 200,
      body: "I'm ping, talk to pong with response: pong via the sidecar",
    });
    assert.deepEqual(seen, [{ requestLine: "GET http://pong/pong HTTP/1.1", host: "pong" }]);
  });

  it("with HTTP_PROXY set and no scheme in it, still uses the proxy (as Go does)", async () => {
    const seen: string[] = [];
    const proxy = await listen((req, res) => {
      seen.push(`${req.url} ${req.headers.host}`);
      res.end("pong");
    });
    const ping = await start("ping", { HTTP_PROXY: `127.0.0.1:${proxy.port}` });
    assert.equal((await fetchText(ping.port, "/")).body, "I'm ping, talk to pong with response: pong");
    assert.deepEqual(seen, ["http://pong/pong pong"]);
  });

  it("answers with the article's `falied` line when pong is down", async () => {
    const ping = await start("ping", { PONG_URL: `http://127.0.0.1:${await closedPort()}/pong` });
    assert.deepEqual(await fetchText(ping.port, "/"), {
      status: 200,
      body: "I'm ping, talk to pong falied\n",
    });
  });

  it("answers `with return empty` when pong's body breaks off", async () => {
    const broken = await listen((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("po");
      setTimeout(() => res.destroy(), 20);
    });
    const ping = await start("ping", { PONG_URL: `http://127.0.0.1:${broken.port}/pong` });
    assert.deepEqual(await fetchText(ping.port, "/"), {
      status: 200,
      body: "I'm ping, talk to pong with return empty\n",
    });
  });

  it("exits 0 on SIGINT", async () => {
    const ping = await start("ping");
    ping.child.kill("SIGINT");
    assert.equal(await ping.exited, 0);
  });
});

describe("ping's choice of proxy (Go's ProxyFromEnvironment)", () => {
  const config = (env: Record<string, string>) => proxyConfigFromEnv(env);
  const pong = new URL("http://pong/pong");

  it("prefers HTTP_PROXY to http_proxy and reads a value without a scheme as http://", () => {
    assert.equal(
      proxyFor(pong, config({ HTTP_PROXY: "a:1", http_proxy: "http://b:2" }))?.href,
      "http://a:1/",
    );
    assert.equal(proxyFor(pong, config({ http_proxy: "http://b:2" }))?.href, "http://b:2/");
    assert.equal(proxyFor(pong, config({})), null);
  });

  it("never proxies localhost or loopback addresses", () => {
    const c = config({ http_proxy: "http://127.0.0.1:4001" });
    assert.equal(proxyFor(new URL("http://localhost:8002/pong"), c), null);
    assert.equal(proxyFor(new URL("http://127.0.0.2:8002/pong"), c), null);
    assert.equal(proxyFor(new URL("http://[::1]:8002/pong"), c), null);
  });

  it("skips hosts NO_PROXY names: domains, subdomains, ports and CIDR ranges", () => {
    const proxied = (url: string, noProxy: string) =>
      proxyFor(new URL(url), config({ http_proxy: "http://127.0.0.1:4001", NO_PROXY: noProxy })) !== null;
    assert.equal(proxied("http://pong/pong", "pong"), false);
    assert.equal(proxied("http://a.pong/pong", "pong"), false);
    assert.equal(proxied("http://pong/pong", ".pong"), true);
    assert.equal(proxied("http://pong:8080/pong", "pong:80"), true);
    assert.equal(proxied("http://pong/pong", "pong:80"), false);
    assert.equal(proxied("http://10.1.2.3/pong", "10.0.0.0/8"), false);
    assert.equal(proxied("http://pong/pong", "*"), false);
    assert.equal(proxied("http://ping/pong", "pong, other"), true);
  });

  it("refuses the proxy under CGI, as Go does", () => {
    assert.throws(() => proxyFor(pong, config({ http_proxy: "http://x:1", REQUEST_METHOD: "GET" })), /CGI/);
  });
});
