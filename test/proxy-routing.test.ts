// End-to-end routing through real `trellis proxy` processes: identifiers, dtabs, Linkerd's headers, two hops, admin.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, get, type ServerResponse } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import {
  Backend,
  type BackendHandler,
  head,
  killAll,
  l5dErr,
  metrics,
  type ProxyProcess,
  RawConnection,
  REPO_ROOT,
  type Recorded,
  rawRequest,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";

const dir = tempDir();
const backends: Backend[] = [];
/** Answers to `/hold` requests, kept until a test ends them. */
const held: ServerResponse[] = [];

/** Answers with its name; `/hop-reply` adds hop-by-hop headers, `x-reply-l5d` asks for Linkerd headers back. */
function replier(name: string): BackendHandler {
  return (req, res) => {
    if (req.url === "/hold") {
      held.push(res);
      return;
    }
    if (req.url === "/hop-reply") {
      res.setHeader("Connection", "X-Bar");
      res.setHeader("X-Bar", "1");
      res.setHeader("Keep-Alive", "timeout=7");
      res.setHeader("Proxy-Authenticate", "Basic");
      res.setHeader("X-Kept", "yes");
    }
    if (req.headers["x-reply-l5d"] !== undefined) {
      res.statusCode = 500;
      res.setHeader("l5d-err", "upstream+says+no");
      res.setHeader("l5d-success-class", "0.0");
      res.end("upstream error details");
      return;
    }
    res.end(name);
  };
}

async function backend(name: string): Promise<Backend> {
  const b = await Backend.start(name, { onBody: replier(name) });
  backends.push(b);
  return b;
}

/** The raw header value(s) named `name` in what a backend received, in order. */
function received(rec: Recorded, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rec.rawHeaders.length; i += 2) {
    if ((rec.rawHeaders[i] as string).toLowerCase() === name.toLowerCase())
      out.push(rec.rawHeaders[i + 1] as string);
  }
  return out;
}

/** Sends and returns the response with the request the backend received for it. */
async function through(
  b: Backend,
  port: number,
  options: Parameters<typeof send>[1],
): Promise<{ reply: Awaited<ReturnType<typeof send>>; rec: Recorded }> {
  const seen = b.nextRequest();
  const reply = await send(port, options);
  assert.equal(
    reply.status,
    200,
    `status ${reply.status}: ${reply.text} ${l5dErr(reply.headers["l5d-err"])}`,
  );
  return { reply, rec: await seen };
}

after(async () => {
  await killAll();
  await Promise.all(backends.map((b) => b.close()));
  dir.cleanup();
});

describe("one proxy, several routers", () => {
  let A: Backend;
  let B: Backend;
  let proxy: ProxyProcess;
  /** Ports of the `host` router's servers: plain, clearContext, maxCallDepth 2. */
  let plain: number;
  let cleared: number;
  let shallow: number;

  before(async () => {
    A = await backend("A");
    B = await backend("B");
    const a = `/$/inet/127.1/${A.port}`;
    const b = `/$/inet/127.1/${B.port}`;
    proxy = await startProxyWith(
      dir.path,
      `admin:
  port: 0
routers:
- protocol: http
  label: host
  dtab: |
    /svc/web => ${a};
    /svc/a => ${a};
    /svc/res => ${a}/extra/part;
    /svc/x => 0.5 * ${a} & 0.5 * ${b};
  servers:
  - port: 0
  - port: 0
    clearContext: true
  - port: 0
    maxCallDepth: 2
- protocol: http
  label: mah
  identifier:
    kind: io.l5d.methodAndHost
  dtab: |
    /svc/1.1/GET/web => ${a};
    /svc/1.1/POST/web => ${b};
  servers:
  - port: 0
- protocol: http
  label: path
  identifier:
    kind: io.l5d.path
    segments: 2
    consume: true
  dtab: |
    /svc/api/users => ${a};
  servers:
  - port: 0
- protocol: http
  label: hdr
  identifier:
    kind: io.l5d.header
  dtab: |
    /svc/users => ${a};
  servers:
  - port: 0
- protocol: http
  label: static
  identifier:
    kind: io.l5d.static
    path: /fixed
  dtab: |
    /svc/fixed => ${b};
  servers:
  - port: 0
- protocol: http
  label: list
  identifier:
  - kind: io.l5d.header
    header: x-dst
  - kind: io.l5d.header.token
  dtab: |
    /svc/web => ${a};
    /svc/by-header => ${b};
  servers:
  - port: 0
`,
    );
    plain = proxy.port("host", 0);
    cleared = proxy.port("host", 1);
    shallow = proxy.port("host", 2);
  });

  it("routes on the Host header through the router's dtab to the backend, adding Via both ways", async () => {
    const { reply, rec } = await through(A, plain, { path: "/hello?q=1", headers: { Host: "web" } });
    assert.equal(reply.text, "A");
    assert.equal(reply.headers.via, "1.1 linkerd");
    assert.equal(rec.method, "GET");
    assert.equal(rec.url, "/hello?q=1");
    assert.deepEqual(received(rec, "host"), ["web"]);
    assert.deepEqual(received(rec, "via"), ["1.1 linkerd"]);
  });

  it("adds l5d-dst-service, l5d-dst-client, and l5d-dst-residual only when there is a residual", async () => {
    const { rec } = await through(A, plain, { headers: { Host: "web" } });
    assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/web"]);
    assert.deepEqual(received(rec, "l5d-dst-client"), [`/$/inet/127.1/${A.port}`]);
    assert.deepEqual(received(rec, "l5d-dst-residual"), []);
    const res = await through(A, plain, { headers: { Host: "res" } });
    assert.deepEqual(received(res.rec, "l5d-dst-service"), ["/svc/res"]);
    assert.deepEqual(received(res.rec, "l5d-dst-client"), [`/$/inet/127.1/${A.port}`]);
    assert.deepEqual(received(res.rec, "l5d-dst-residual"), ["/extra/part"]);
  });

  it("routes absolute-form requests (http_proxy clients) on the URI's authority, forwarding origin form", async () => {
    const seen = A.nextRequest();
    // Host disagrees with the authority: RFC 9112 says the authority wins and Host is regenerated from it.
    const res = await rawRequest(plain, head("GET http://web/pong?x=1 HTTP/1.1", [["Host", "evil"]]));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "A");
    const rec = await seen;
    assert.equal(rec.url, "/pong?x=1");
    assert.deepEqual(received(rec, "host"), ["web"]);
    assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/web"]);
  });

  it("strips hop-by-hop request headers and those Connection names before forwarding", async () => {
    const seen = A.nextRequest();
    const res = await rawRequest(
      plain,
      head("GET / HTTP/1.1", [
        ["Host", "web"],
        ["Connection", "X-Foo, keep-alive"],
        ["X-Foo", "1"],
        ["Keep-Alive", "timeout=5"],
        ["TE", "trailers"],
        ["Upgrade", "h2c"],
        ["Proxy-Authorization", "Basic eDp5"],
        ["Proxy-Connection", "keep-alive"],
        ["X-Kept", "yes"],
      ]),
    );
    assert.equal(res.status, 200);
    const rec = await seen;
    for (const name of ["x-foo", "keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection"]) {
      assert.deepEqual(received(rec, name), [], `${name} reached the backend`);
    }
    // The proxy's own connection to the backend may say keep-alive; it must not carry the client's list.
    for (const v of received(rec, "connection")) assert.doesNotMatch(v, /x-foo/i);
    assert.deepEqual(received(rec, "x-kept"), ["yes"]);
  });

  it("strips hop-by-hop response headers and those Connection names before answering", async () => {
    const res = await rawRequest(plain, head("GET /hop-reply HTTP/1.1", [["Host", "web"]]));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "A");
    assert.equal(res.header("x-bar"), undefined);
    assert.equal(res.header("proxy-authenticate"), undefined);
    assert.doesNotMatch(res.header("connection") ?? "", /x-bar/i);
    assert.notEqual(res.header("keep-alive"), "timeout=7");
    assert.equal(res.header("x-kept"), "yes");
    assert.equal(res.header("via"), "1.1 linkerd");
  });

  it("forwards l5d-ctx-dtab to the next hop", async () => {
    const { rec } = await through(A, plain, {
      headers: { Host: "web", "l5d-ctx-dtab": "/svc/elsewhere=>/$/inet/127.1/1" },
    });
    assert.deepEqual(received(rec, "l5d-ctx-dtab"), ["/svc/elsewhere=>/$/inet/127.1/1"]);
  });

  it("lets l5d-dtab override the route of one request, and passes it on as l5d-ctx-dtab", async () => {
    const override = `/svc/a=>/$/inet/127.1/${B.port}`;
    const { reply, rec } = await through(B, plain, { headers: { Host: "a", "l5d-dtab": override } });
    assert.equal(reply.text, "B");
    assert.deepEqual(received(rec, "l5d-dst-client"), [`/$/inet/127.1/${B.port}`]);
    assert.deepEqual(received(rec, "l5d-dtab"), []);
    assert.deepEqual(received(rec, "l5d-ctx-dtab"), [override]);
    // The next request without the header goes the router's way again.
    const plainAgain = await through(A, plain, { headers: { Host: "a" } });
    assert.equal(plainAgain.reply.text, "A");
  });

  it("ignores the deprecated dtab-local header", async () => {
    const { reply } = await through(A, plain, {
      headers: { Host: "a", "dtab-local": `/svc/a=>/$/inet/127.1/${B.port}` },
    });
    assert.equal(reply.text, "A");
  });

  describe("a clearContext server", () => {
    it("ignores l5d-dtab, l5d-ctx-dtab and dtab-local: routing is unchanged", async () => {
      const toB = `/svc/a=>/$/inet/127.1/${B.port}`;
      for (const header of ["l5d-dtab", "l5d-ctx-dtab", "dtab-local"]) {
        const { reply, rec } = await through(A, cleared, {
          headers: { Host: "a", [header]: toB, "l5d-ctx-trace": "AAAA", "l5d-sample": "1" },
        });
        assert.equal(reply.text, "A", `${header} changed the route`);
        assert.deepEqual(received(rec, "l5d-dtab"), []);
        assert.deepEqual(received(rec, "l5d-ctx-dtab"), []);
        assert.deepEqual(received(rec, "l5d-ctx-trace"), []);
        assert.deepEqual(received(rec, "l5d-sample"), []);
        assert.deepEqual(received(rec, "dtab-local"), []);
        // What this proxy adds itself is still added.
        assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/a"]);
      }
    });

    it("lets no l5d-* header out, and empties the body of an upstream's l5d-err answer", async () => {
      const seen = A.nextRequest();
      const res = await send(cleared, { headers: { Host: "web", "x-reply-l5d": "1" } });
      await seen;
      assert.equal(res.status, 500);
      assert.deepEqual(
        Object.keys(res.headers).filter((h) => h.startsWith("l5d-")),
        [],
      );
      assert.equal(res.text, "");
      // The same request on a plain server passes the upstream's answer as it is.
      const open = await send(plain, { headers: { Host: "web", "x-reply-l5d": "1" } });
      assert.equal(open.headers["l5d-err"], "upstream+says+no");
      assert.equal(open.text, "upstream error details");
    });

    it("answers its own errors with an empty body and no l5d-err", async () => {
      const res = await send(cleared, { headers: { Host: "nowhere" } });
      assert.equal(res.status, 502);
      assert.deepEqual(
        Object.keys(res.headers).filter((h) => h.startsWith("l5d-")),
        [],
      );
      assert.equal(res.text, "");
      const open = await send(plain, { headers: { Host: "nowhere" } });
      assert.equal(open.status, 502);
      assert.match(l5dErr(open.headers["l5d-err"]) ?? "", /\/svc\/nowhere/);
      assert.notEqual(open.text, "");
    });
  });

  it("answers 400 with l5d-err when Via shows more hops than maxCallDepth, and forwards at the limit", async () => {
    const deep = await send(shallow, { headers: { Host: "web", Via: "1.1 a, 1.1 b, 1.1 c" } });
    assert.equal(deep.status, 400);
    assert.match(l5dErr(deep.headers["l5d-err"]) ?? "", /Maximum number of calls \(2\)/);
    const { rec } = await through(A, shallow, { headers: { Host: "web", Via: "1.1 a, 1.1 b" } });
    assert.deepEqual(received(rec, "via"), ["1.1 a, 1.1 b, 1.1 linkerd"]);
  });

  it("ends a proxy loop (a dtab sending a name back to the proxy) with 400 once Via passes maxCallDepth", async () => {
    const r = await send(shallow, {
      headers: { Host: "loop", "l5d-dtab": `/svc/loop=>/$/inet/127.1/${shallow}` },
    });
    assert.equal(r.status, 400);
    assert.match(l5dErr(r.headers["l5d-err"]) ?? "", /Maximum number of calls \(2\)/);
    // Three hops forwarded it and a fourth refused it; each appended itself to the answer on the way back.
    assert.equal(r.headers.via?.split(",").length, 4);
  });

  describe("HTTP/1.x message details", () => {
    it("an HTTP/1.0 request is forwarded with Via: 1.0 linkerd", async () => {
      const seen = A.nextRequest();
      const r = await rawRequest(plain, "GET /old HTTP/1.0\r\nHost: web\r\n\r\n");
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), "A");
      assert.deepEqual(received(await seen, "via"), ["1.0 linkerd"]);
    });

    it("a HEAD answer has no body, and the connection stays usable", async () => {
      const c = await RawConnection.open(plain);
      c.write(head("HEAD / HTTP/1.1", [["Host", "web"]]));
      const h = await c.readResponse({ head: true });
      assert.equal(h.status, 200);
      assert.equal(c.unread, 0, "a body followed the HEAD answer");
      c.write(head("GET / HTTP/1.1", [["Host", "web"]]));
      const g = await c.readResponse();
      assert.equal(g.body.toString(), "A");
      assert.equal(c.unread, 0);
      c.destroy();
    });

    it("Expect: 100-continue gets 100 Continue, then the body reaches the backend without Expect", async () => {
      const seen = A.nextDone();
      const c = await RawConnection.open(plain);
      c.write(
        head("POST /up HTTP/1.1", [
          ["Host", "web"],
          ["Content-Length", "5"],
          ["Expect", "100-continue"],
        ]),
      );
      assert.equal((await c.readResponse()).status, 100);
      c.write("hello");
      assert.equal((await c.readResponse()).status, 200);
      c.destroy();
      const rec = await seen;
      assert.equal(rec.body.toString(), "hello");
      assert.deepEqual(received(rec, "expect"), []);
    });

    it("pipelined requests are answered in order, the first held by its backend", async () => {
      const c = await RawConnection.open(plain);
      const holdArrived = new Promise<void>((resolve) => {
        const onRequest = (r: Recorded) => {
          if (r.url === "/hold") {
            A.off("request", onRequest);
            resolve();
          }
        };
        A.on("request", onRequest);
      });
      c.write(head("GET /hold HTTP/1.1", [["Host", "web"]]) + head("GET /p2 HTTP/1.1", [["Host", "web"]]));
      await holdArrived;
      // The proxy answers a connection's requests one after another, in order (as nginx does).
      const first = c.readResponse();
      held.shift()?.end("held");
      assert.equal((await first).body.toString(), "held");
      assert.equal((await c.readResponse()).body.toString(), "A");
      c.destroy();
    });
  });

  it("io.l5d.methodAndHost names /svc/1.1/<METHOD>/<host lower-cased>", async () => {
    const port = proxy.port("mah");
    const get = await through(A, port, { path: "/x", headers: { Host: "Web" } });
    assert.deepEqual(received(get.rec, "l5d-dst-service"), ["/svc/1.1/GET/web"]);
    const post = await through(B, port, { method: "POST", path: "/x", headers: { Host: "web" }, body: "hi" });
    assert.deepEqual(received(post.rec, "l5d-dst-service"), ["/svc/1.1/POST/web"]);
    assert.equal(post.rec.body.toString(), "hi");
  });

  it("io.l5d.path with consume names by the first segments and forwards the rest of the target", async () => {
    const port = proxy.port("path");
    const { rec } = await through(A, port, {
      path: "/api/users/42/profile?full=1",
      headers: { Host: "any" },
    });
    assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/api/users"]);
    assert.equal(rec.url, "/42/profile?full=1");
    const short = await send(port, { path: "/api", headers: { Host: "any" } });
    assert.equal(short.status, 400);
  });

  it("io.l5d.header names by a path in l5d-name, the rest of it becoming the residual", async () => {
    const port = proxy.port("hdr");
    const { rec } = await through(A, port, { headers: { Host: "any", "l5d-name": "/users/42" } });
    assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/users/42"]);
    assert.deepEqual(received(rec, "l5d-dst-client"), [`/$/inet/127.1/${A.port}`]);
    assert.deepEqual(received(rec, "l5d-dst-residual"), ["/42"]);
  });

  it("io.l5d.static names every request the same", async () => {
    const port = proxy.port("static");
    for (const host of ["web", "other"]) {
      const { reply, rec } = await through(B, port, { headers: { Host: host } });
      assert.equal(reply.text, "B");
      assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/fixed"]);
    }
  });

  it("a list of identifiers is tried in order", async () => {
    const port = proxy.port("list");
    const first = await through(B, port, { headers: { Host: "web", "x-dst": "/by-header" } });
    assert.equal(first.reply.text, "B");
    const second = await through(A, port, { headers: { Host: "web" } });
    assert.equal(second.reply.text, "A");
    assert.deepEqual(received(second.rec, "l5d-dst-service"), ["/svc/web"]);
  });

  it("spreads a union of two backends by weight (200 requests, each gets at least 25%)", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const fetchOne = () =>
      new Promise<string>((resolve, reject) => {
        get({ host: "127.0.0.1", port: plain, headers: { Host: "x" }, agent }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            body += d;
          });
          res.on("end", () => resolve(body));
        }).on("error", reject);
      });
    const bodies = await Promise.all(Array.from({ length: 200 }, fetchOne));
    agent.destroy();
    const a = bodies.filter((b) => b === "A").length;
    const b = bodies.filter((b) => b === "B").length;
    assert.equal(a + b, 200, `unexpected answers: ${bodies.filter((x) => x !== "A" && x !== "B")[0]}`);
    assert.ok(a >= 50 && b >= 50, `A got ${a}, B got ${b}`);
  });

  describe("the admin server", () => {
    it("/admin/ping answers pong", async () => {
      const r = await send(proxy.admin, { path: "/admin/ping" });
      assert.equal(r.status, 200);
      assert.equal(r.text, "pong");
    });

    it("/delegator.json explains a name by GET and by POST", async () => {
      const dtab = `/svc/res=>/$/inet/127.1/${A.port}/extra/part`;
      const check = (text: string) => {
        const tree = JSON.parse(text) as {
          type: string;
          path: string;
          delegate: { type: string; dentry: { prefix: string }; bound: { id: string; path: string } };
        };
        assert.equal(tree.path, "/svc/res");
        assert.equal(tree.delegate.type, "leaf");
        assert.equal(tree.delegate.dentry.prefix, "/svc/res");
        assert.equal(tree.delegate.bound.id, `/$/inet/127.1/${A.port}`);
        assert.equal(tree.delegate.bound.path, "/extra/part");
      };
      const query = new URLSearchParams({ namespace: "host", path: "/svc/res", dtab });
      const got = await send(proxy.admin, { path: `/delegator.json?${query}` });
      assert.equal(got.status, 200, got.text);
      check(got.text);
      const posted = await send(proxy.admin, {
        method: "POST",
        path: "/delegator.json",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ namespace: "host", path: "/svc/res", dtab }),
      });
      assert.equal(posted.status, 200, posted.text);
      check(posted.text);
    });

    it("/client_state.json lists the bound clients and their addresses", async () => {
      await through(A, plain, { headers: { Host: "web" } });
      const r = await send(proxy.admin, { path: "/client_state.json" });
      assert.equal(r.status, 200);
      const state = JSON.parse(r.text) as Record<string, { state: string; addresses: string[] }>;
      assert.deepEqual(state[`/$/inet/127.1/${A.port}`], {
        state: "bound",
        addresses: [`127.0.0.1:${A.port}`],
      });
    });

    it("/config.json shows the effective config", async () => {
      const r = await send(proxy.admin, { path: "/config.json" });
      assert.equal(r.status, 200);
      const config = JSON.parse(r.text) as { routers: { label: string; servers: unknown[] }[] };
      assert.deepEqual(
        config.routers.map((x) => x.label),
        ["host", "mah", "path", "hdr", "static", "list"],
      );
      assert.equal(config.routers[0]?.servers.length, 3);
      assert.match(r.text, new RegExp(`/svc/web.*/\\$/inet/127\\.1/${A.port}`));
    });

    it("/admin/shutdown refuses GET with 405", async () => {
      const r = await send(proxy.admin, { path: "/admin/shutdown" });
      assert.equal(r.status, 405);
      assert.equal(proxy.child.exitCode, null);
    });
  });
});

/** A config from the examples with every port 0, every ip loopback, and dtab addresses replaced. */
function example(file: string, addresses: Record<string, number>): string {
  let text = readFileSync(join(REPO_ROOT, "examples", "ping-pong", "configs", file), "utf8");
  text = text.replace(/^(\s*-?\s*)port: \d+$/gm, "$1port: 0").replace(/ip: 0\.0\.0\.0/g, "ip: 127.0.0.1");
  for (const [from, to] of Object.entries(addresses)) {
    text = text.replaceAll(`/$/inet/127.1/${from}`, `/$/inet/127.1/${to}`);
  }
  return text;
}

describe("the article's configs", () => {
  it("01-sidecar.yaml (router `outging`): `GET http://pong/pong` as an http_proxy client sends it", async () => {
    const pong = await backend("pong");
    const proxy = await startProxyWith(dir.path, example("01-sidecar.yaml", { 8002: pong.port }));
    try {
      const seen = pong.nextRequest();
      const c = await RawConnection.open(proxy.port("outging"));
      c.write(
        head("GET http://pong/pong HTTP/1.1", [
          ["Host", "pong"],
          ["User-Agent", "Go-http-client/1.1"],
        ]),
      );
      const res = await c.readResponse();
      c.destroy();
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), "pong");
      const rec = await seen;
      assert.equal(rec.url, "/pong");
      assert.deepEqual(received(rec, "host"), ["pong"]);
      assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/pong"]);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  it("two hops (ping → ping's sidecar → pong's sidecar → pong), counted in both proxies' metrics", async () => {
    const pong = await backend("pong");
    const pongSide = await startProxyWith(dir.path, example("local/pong-sidecar.yaml", { 8002: pong.port }));
    const incoming = pongSide.port("incoming");
    // ping's sidecar finds pong's sidecar through the io.l5d.fs namer: a disco directory of our own, with pong's
    // file listing the incoming router's real port.
    const disco = join(dir.path, `disco-${incoming}`);
    mkdirSync(disco);
    writeFileSync(join(disco, "pong"), `127.0.0.1 ${incoming}\n`);
    const pingSide = await startProxyWith(
      dir.path,
      example("local/ping-sidecar.yaml", {}).replace(
        "rootDir: examples/ping-pong/configs/local/disco",
        `rootDir: ${disco}`,
      ),
    );
    const outgoing = pingSide.port("outgoing");
    // ping itself, the article's service, with its sidecar as http_proxy.
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(https?_proxy|no_proxy|all_proxy|pong_url|port|NODE_OPTIONS|NODE_TEST_CONTEXT)$/i.test(k))
        env[k] = v;
    }
    env.http_proxy = `http://127.0.0.1:${outgoing}`;
    const ping = spawn(
      process.execPath,
      [join(REPO_ROOT, "examples", "ping-pong", "ping.ts"), "--port", "0"],
      {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const [first] = (await once(createInterface({ input: ping.stdout! }), "line")) as [string];
      const pingPort = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
      assert.ok(pingPort > 0, first);
      const seen = pong.nextRequest();
      const answer = await send(pingPort, { path: "/" });
      assert.equal(
        answer.text,
        "I'm ping, talk to pong with response: pong",
        `${answer.status} ${JSON.stringify(answer.headers)}`,
      );
      const rec = await seen;
      assert.equal(rec.url, "/pong");
      assert.deepEqual(received(rec, "host"), ["pong"]);
      assert.deepEqual(received(rec, "via"), ["1.1 linkerd, 1.1 linkerd"]);
      assert.deepEqual(received(rec, "l5d-dst-service"), ["/svc/pong"]);

      // Two more straight to ping's sidecar, as ping sends them.
      for (let i = 0; i < 2; i++) {
        const r = await rawRequest(outgoing, head("GET http://pong/pong HTTP/1.1", [["Host", "pong"]]));
        assert.equal(r.status, 200);
        assert.equal(r.body.toString(), "pong");
        assert.equal(r.header("via"), "1.1 linkerd, 1.1 linkerd");
      }
      const m1 = await metrics(pingSide.admin);
      assert.equal(m1[`rt/outgoing/server/127.0.0.1/${outgoing}/requests`], 3);
      assert.equal(m1["rt/outgoing/service/svc/pong/requests"], 3);
      assert.equal(m1["rt/outgoing/client/#/io.l5d.fs/pong/requests"], 3);
      const m2 = await metrics(pongSide.admin);
      assert.equal(m2[`rt/incoming/server/127.0.0.1/${incoming}/requests`], 3);
      assert.equal(m2["rt/incoming/service/svc/pong/requests"], 3);
      assert.equal(m2[`rt/incoming/client/$/inet/127.1/${pong.port}/requests`], 3);
      assert.equal(m2[`rt/incoming/client/$/inet/127.1/${pong.port}/status/200`], 3);
    } finally {
      ping.kill("SIGTERM");
      await once(ping, "exit");
      assert.deepEqual(await pingSide.stop(), { code: 0, signal: null });
      assert.deepEqual(await pongSide.stop(), { code: 0, signal: null });
    }
  });
});

describe("POST /admin/shutdown", () => {
  it("answers, then the process exits 0", async () => {
    const proxy = await startProxyWith(
      dir.path,
      "admin:\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - port: 0\n",
    );
    const r = await send(proxy.admin, { method: "POST", path: "/admin/shutdown" });
    assert.equal(r.status, 200);
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
  });
});
