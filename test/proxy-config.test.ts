// End-to-end config handling of `trellis proxy`: bad configs refused with exit 2, JSON and stdin, busy ports, signals.

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { after, describe, it } from "node:test";
import { freePort } from "./support/ports.ts";
import {
  Backend,
  type Finished,
  killAll,
  runTrellis,
  send,
  startProxy,
  startProxyWith,
  tempDir,
  writeConfig,
} from "./support/proxy-harness.ts";

const dir = tempDir();
const cleanups: (() => Promise<void> | void)[] = [];

after(async () => {
  await killAll();
  for (const c of cleanups) await c();
  dir.cleanup();
});

/** A TCP server holding a port on 127.0.0.1, so that nothing else can bind it. */
async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => {
    server.close();
  });
  const address = server.address();
  return { server, port: typeof address === "object" && address !== null ? address.port : 0 };
}

/** Asserts a refusal: exit status 2, the invalid-config header, `line` among the problems, no stack trace. */
function assertRefused(run: Finished, source: string, line: string | RegExp): void {
  const context = `\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, 2, `exit status ${run.code} (signal ${run.signal})${context}`);
  assert.ok(run.stderr.startsWith(`trellis: ${source}: invalid config:\n`), context);
  const problems = run.stderr.split("\n").slice(1);
  if (typeof line === "string") assert.ok(problems.includes(`  ${line}`), `no line "  ${line}"${context}`);
  else
    assert.ok(
      problems.some((p) => line.test(p)),
      `no line matching ${line}${context}`,
    );
  assert.doesNotMatch(run.stderr, /\n\s{4}at /, "a stack trace was printed");
  assert.doesNotMatch(run.stdout, /listening/, "something started listening");
}

/** Runs `trellis proxy` on `text` written to a file; the file's path and how the run ended. */
async function refuse(text: string, name?: string): Promise<{ file: string; run: Finished }> {
  const file = writeConfig(dir.path, text, name);
  return { file, run: await runTrellis(["proxy", file], { killWhen: STARTED }) };
}

const server0 = "  servers:\n  - port: 0\n";
/** What a proxy prints once it is up: a config that should have been refused was not. */
const STARTED = /admin listening on/;

describe("config errors: exit status 2, the key's path, no stack trace, nothing started", () => {
  it("an unknown key", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  colour: red\n${server0}`,
    );
    assertRefused(run, file, "routers[0].colour: unknown key");
  });

  it("a misspelled key inside a server", async () => {
    const { file, run } = await refuse(
      "admin:\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - prot: 0\n",
    );
    assertRefused(run, file, "routers[0].servers[0].prot: unknown key");
  });

  it("a wrong type: a port that is not a number", async () => {
    const { file, run } = await refuse(
      "admin:\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - port: 40o1\n",
    );
    assertRefused(run, file, 'routers[0].servers[0].port: expected an integer, got "40o1"');
  });

  it("a port out of range", async () => {
    const { file, run } = await refuse(`admin:\n  port: 70000\nrouters:\n- protocol: http\n${server0}`);
    assertRefused(run, file, /^ {2}admin\.port: .*70000/);
  });

  it("no routers", async () => {
    const { file, run } = await refuse("admin:\n  port: 0\n");
    assertRefused(run, file, /^ {2}routers: /);
  });

  it("an empty list of routers", async () => {
    const { file, run } = await refuse("admin:\n  port: 0\nrouters: []\n");
    assertRefused(run, file, /^ {2}routers: /);
  });

  it("two routers with one label", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  label: out\n${server0}- protocol: http\n  label: out\n${server0}`,
    );
    assertRefused(run, file, /^ {2}routers\[1\]\.label: duplicate router label "out"/);
  });

  it("two routers with the default label (the protocol's name)", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n${server0}- protocol: http\n${server0}`,
    );
    assertRefused(run, file, /^ {2}routers\[1\]\.label: duplicate router label "http"/);
  });

  it("two servers on one ip:port", async () => {
    const port = await freePort();
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  label: a\n  servers:\n  - port: ${port}\n` +
        `- protocol: http\n  label: b\n  servers:\n  - port: ${port}\n    ip: 127.0.0.1\n`,
    );
    assertRefused(
      run,
      file,
      /^ {2}routers\[1\]\.servers\[0\]: 127\.0\.0\.1:\d+ is already used by routers\[0\]\.servers\[0\]/,
    );
  });

  it("a server on 0.0.0.0 and one on 127.0.0.1 with the same port", async () => {
    const port = await freePort();
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - port: ${port}\n    ip: 0.0.0.0\n  - port: ${port}\n`,
    );
    assertRefused(run, file, /^ {2}routers\[0\]\.servers\[1\]: .*already used/);
  });

  it("a router with no servers", async () => {
    const { file, run } = await refuse("admin:\n  port: 0\nrouters:\n- protocol: http\n  servers: []\n");
    assertRefused(run, file, /^ {2}routers\[0\]\.servers: /);
  });

  it("protocol h2: not supported", async () => {
    const { file, run } = await refuse(`admin:\n  port: 0\nrouters:\n- protocol: h2\n${server0}`);
    assertRefused(run, file, /^ {2}routers\[0\]\.protocol: .*"h2".*not supported/);
  });

  it("a malformed dtab: the message points at the line and column", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  dtab: |\n    /svc => /a;\n    /svc/b => /c &;\n${server0}`,
    );
    assertRefused(run, file, /^ {2}routers\[0\]\.dtab: invalid dtab: .* at 2:15\b/);
  });

  it("an unknown identifier kind, naming the known ones", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  identifier:\n    kind: io.l5d.nope\n${server0}`,
    );
    assertRefused(run, file, /^ {2}routers\[0\]\.identifier\.kind: .*io\.l5d\.nope.*io\.l5d\.methodAndHost/);
  });

  it("an unknown key in an identifier", async () => {
    const { file, run } = await refuse(
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  identifier:\n    kind: io.l5d.path\n    segment: 2\n${server0}`,
    );
    assertRefused(run, file, /^ {2}routers\[0\]\.identifier\.segment: unknown key/);
  });

  it("a YAML syntax error, with its line and column", async () => {
    const { file, run } = await refuse(
      "admin:\n  port: 0\nrouters:\n- protocol: http\n  servers:\n  - port: 0\n   ip: x\n",
    );
    assertRefused(run, file, /^ {2}YAML syntax: .* at 7:\d+$/);
  });

  it("a key given twice in one mapping", async () => {
    const { file, run } = await refuse(`admin:\n  port: 0\nrouters:\n- protocol: http\n${server0}${server0}`);
    assertRefused(run, file, /^ {2}YAML syntax: duplicated mapping key/);
  });

  it("several problems at once, each on its own line", async () => {
    const { file, run } = await refuse(
      "admin:\n  port: 0\nrouters:\n- protocol: http\n  colour: red\n  servers:\n  - port: x\n",
    );
    assertRefused(run, file, "routers[0].colour: unknown key");
    assertRefused(run, file, /^ {2}routers\[0\]\.servers\[0\]\.port: /);
  });

  it("a missing file", async () => {
    const file = `${dir.path}/no-such-config.yaml`;
    const run = await runTrellis(["proxy", file], { killWhen: STARTED });
    assertRefused(run, file, /no such file/);
  });

  it("malformed JSON (a trailing comma)", {}, async () => {
    const { file, run } = await refuse(
      '{"admin": {"port": 0}, "routers": [{"protocol": "http", "servers": [{"port": 0}],}]}',
      "trailing.json",
    );
    assertRefused(run, file, /JSON syntax/);
  });
});

describe("config sources", () => {
  it("JSON (a file starting with `{`) is accepted", async () => {
    const b = await Backend.start("json");
    cleanups.push(() => b.close());
    const config = {
      admin: { port: 0 },
      routers: [
        {
          protocol: "http",
          label: "json",
          dtab: `/svc/j => /$/inet/127.1/${b.port};`,
          servers: [{ port: 0 }],
        },
      ],
    };
    const proxy = await startProxy(writeConfig(dir.path, `  ${JSON.stringify(config, null, 2)}\n`, "c.json"));
    const r = await send(proxy.port("json"), { headers: { Host: "j" } });
    assert.equal(r.status, 200);
    assert.equal(r.text, "json");
    assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
  });

  it("`-` reads the config from standard input", async () => {
    const b = await Backend.start("stdin");
    cleanups.push(() => b.close());
    const config = `admin:\n  port: 0\nrouters:\n- protocol: http\n  label: piped\n  dtab: /svc/p => /$/inet/127.1/${b.port}\n${server0}`;
    const proxy = await startProxy("-", { stdin: config });
    const r = await send(proxy.port("piped"), { headers: { Host: "p" } });
    assert.equal(r.status, 200);
    assert.equal(r.text, "stdin");
    assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
  });

  it("a bad config on standard input is named as such", async () => {
    const run = await runTrellis(["proxy", "-"], { stdin: "routers: 3\n", killWhen: STARTED });
    assertRefused(run, "standard input", /^ {2}routers: /);
  });
});

describe("ports already in use", () => {
  it("a router's port: exit 1 with a clear message, nothing left listening", async () => {
    const { port } = await occupy();
    const file = writeConfig(
      dir.path,
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  label: first\n${server0}- protocol: http\n  label: second\n  servers:\n  - port: ${port}\n`,
    );
    const run = await runTrellis(["proxy", file], { killWhen: STARTED });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`^trellis: router second cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`),
    );
    assert.doesNotMatch(run.stderr, /\n\s{4}at /);
    // Nothing was announced, and the process is gone with every socket it had opened.
    assert.doesNotMatch(run.stdout, /listening/);
  });

  it("the admin port: exit 1 with a clear message", async () => {
    const { port } = await occupy();
    const file = writeConfig(dir.path, `admin:\n  port: ${port}\nrouters:\n- protocol: http\n${server0}`);
    const run = await runTrellis(["proxy", file], { killWhen: STARTED });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`^trellis: admin cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`),
    );
    assert.doesNotMatch(run.stdout, /listening/);
  });
});

describe("signals", () => {
  it("SIGTERM stops accepting, lets the request in flight finish, then exits 0", async () => {
    let release: () => void = () => {};
    const slow = await Backend.start("slow", {
      onBody: (_req, res) => {
        release = () => res.end("finished");
      },
    });
    cleanups.push(() => slow.close());
    const proxy = await startProxyWith(
      dir.path,
      `admin:\n  port: 0\nrouters:\n- protocol: http\n  dtab: /svc/slow => /$/inet/127.1/${slow.port}\n${server0}`,
    );
    const port = proxy.port("http");
    const arrived = slow.nextRequest();
    const inFlight = send(port, { headers: { Host: "slow" } });
    await arrived;
    proxy.child.kill("SIGTERM");
    await proxy.line(/^trellis: stopping$/);
    await assert.rejects(send(port, { headers: { Host: "slow" } }), /ECONNREFUSED|ECONNRESET|socket hang up/);
    assert.equal(proxy.child.exitCode, null, "exited with a request in flight");
    release();
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.text, "finished");
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
  });

  it("SIGINT exits 0", async () => {
    const proxy = await startProxyWith(dir.path, `admin:\n  port: 0\nrouters:\n- protocol: http\n${server0}`);
    assert.equal((await send(proxy.admin, { path: "/admin/ping" })).text, "pong");
    proxy.child.kill("SIGINT");
    assert.deepEqual(await proxy.exited, { code: 0, signal: null });
  });

  it("a signal right after the listening lines still stops it gracefully (exit 0)", {}, async () => {
    for (let i = 0; i < 8; i++) {
      const proxy = await startProxyWith(
        dir.path,
        `admin:\n  port: 0\nrouters:\n- protocol: http\n${server0}`,
      );
      proxy.child.kill(i % 2 === 0 ? "SIGTERM" : "SIGINT");
      assert.deepEqual(await proxy.exited, { code: 0, signal: null }, `run ${i}`);
    }
  });
});
