// The proxy's interpreters as real processes: io.l5d.namerd.http and io.l5d.namerd against `trellis namerd`,
// io.l5d.fs against a dtab file, and their config errors.

import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { http, type NamerdRun, startNamerd, startNamerdWith } from "./support/namerd.ts";
import { freePort } from "./support/ports.ts";
import {
  adminGet,
  Backend,
  killAll,
  l5dErr,
  type ProxyProcess,
  runTrellis,
  send,
  startProxyWith,
  tempDir,
  writeConfig,
} from "./support/proxy-harness.ts";

const tmp = tempDir("trellis-interpreters-");
let a: Backend;
let b: Backend;

before(async () => {
  a = await Backend.start("A");
  b = await Backend.start("B");
});

after(async () => {
  await killAll();
  await a.close();
  await b.close();
  tmp.cleanup();
});

/** Sends requests for `name` until one is answered with `body`; how long it took. */
async function untilRoutedTo(
  proxy: ProxyProcess,
  name: string,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await send(proxy.port("out"), { headers: { Host: name } });
    if (r.text === body) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${name} not routed to ${body} within ${timeoutMs} ms; last: ${r.status} ${r.text}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function namerdConfig(httpPort: number, thriftPort = 0): string {
  return `admin: {port: 0}
storage:
  kind: io.l5d.inMemory
  namespaces:
    default: /svc/a => /$/inet/127.1/${a.port};
interfaces:
- {kind: io.l5d.httpController, port: ${httpPort}}
- {kind: io.l5d.thriftNameInterpreter, port: ${thriftPort}}
`;
}

function thriftPortOf(n: NamerdRun): number {
  const line = n.proc.lines.find((l) => /io\.l5d\.thriftNameInterpreter listening on/.test(l));
  return Number(/:(\d+)$/.exec(line ?? "")?.[1]);
}

function putDtab(n: NamerdRun, text: string) {
  return http(n.http, "PUT", "/api/1/dtabs/default", {
    headers: { "Content-Type": "application/dtab" },
    body: text,
  });
}

describe("io.l5d.namerd.http (namerd's HTTP watch streams)", () => {
  let namerd: NamerdRun;
  let proxy: ProxyProcess;
  let httpPort: number;
  let namerdFile: string;

  before(async () => {
    httpPort = await freePort();
    namerdFile = writeConfig(tmp.path, namerdConfig(httpPort));
    namerd = await startNamerdWith(tmp.path, namerdConfig(httpPort));
    proxy = await startProxyWith(
      tmp.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  interpreter:
    kind: io.l5d.namerd.http
    experimental: true
    dst: /$/inet/127.1/${httpPort}
    retry: {baseSeconds: 1, maxSeconds: 1}
  servers: [{port: 0}]
`,
    );
  });

  it("routes by what namerd binds, and a dtab change reaches routing within a second", async () => {
    assert.equal((await send(proxy.port("out"), { headers: { Host: "a" } })).text, "A");
    assert.equal((await putDtab(namerd, `/svc/a => /$/inet/127.1/${b.port};`)).status, 204);
    const ms = await untilRoutedTo(proxy, "a", "B", 1000);
    console.log(`# namerd.http: dtab change reached routing in ${ms.toFixed(0)} ms`);
    const state = JSON.parse(
      (await adminGet(proxy.admin, "/out/interpreter_state/io.l5d.namerd.http/default.json")).text,
    );
    assert.equal(state.bind["/svc/a"].state, "ok");
    assert.equal(state.bind["/svc/a"].value, `/$/inet/127.1/${b.port}`);
  });

  it("namerd away: routing goes on; back (with its configured dtab): the proxy follows it", async () => {
    namerd.proc.child.kill("SIGKILL");
    await namerd.proc.exited;
    for (let i = 0; i < 5; i++)
      assert.equal((await send(proxy.port("out"), { headers: { Host: "a" } })).text, "B");
    namerd = await startNamerd(namerdFile);
    await untilRoutedTo(proxy, "a", "A", 10_000);
  });

  it("a deleted namespace: 502 with l5d-err naming it; recreated without the name: Neg's 502; with it: routes", async () => {
    await untilRoutedTo(proxy, "a", "A", 10_000);
    assert.equal((await http(namerd.http, "DELETE", "/api/1/dtabs/default")).status, 204);
    const err = async () =>
      l5dErr((await send(proxy.port("out"), { headers: { Host: "a" } })).headers["l5d-err"]);
    let e = await err();
    for (let i = 0; i < 200 && !/does not exist/.test(e ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 10));
      e = await err();
    }
    assert.match(e ?? "", /dtab namespace default does not exist/);
    const created = await http(namerd.http, "POST", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: `/svc/other => /$/inet/127.1/${b.port};`,
    });
    assert.equal(created.status, 204);
    for (let i = 0; i < 200 && /does not exist/.test(e ?? ""); i++) {
      await new Promise((r) => setTimeout(r, 10));
      e = await err();
    }
    assert.match(e ?? "", /^No hosts are available for \/svc\/a/);
    assert.equal((await putDtab(namerd, `/svc/a => /$/inet/127.1/${b.port};`)).status, 204);
    await untilRoutedTo(proxy, "a", "B", 1000);
  });
});

describe("io.l5d.namerd (thrift)", () => {
  let namerd: NamerdRun;
  let proxy: ProxyProcess;

  before(async () => {
    namerd = await startNamerdWith(tmp.path, namerdConfig(0));
    proxy = await startProxyWith(
      tmp.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  interpreter:
    kind: io.l5d.namerd
    dst: /$/inet/127.1/${thriftPortOf(namerd)}
    namespace: default
  servers: [{port: 0}]
`,
    );
  });

  it("a deleted namespace: 502 with l5d-err naming it; recreated: routing comes back", async () => {
    assert.equal((await send(proxy.port("out"), { headers: { Host: "a" } })).text, "A");
    assert.equal((await http(namerd.http, "DELETE", "/api/1/dtabs/default")).status, 204);
    let r = await send(proxy.port("out"), { headers: { Host: "a" } });
    for (let i = 0; i < 100 && r.status === 200; i++) {
      await new Promise((res) => setTimeout(res, 10));
      r = await send(proxy.port("out"), { headers: { Host: "a" } });
    }
    assert.equal(r.status, 502);
    assert.match(l5dErr(r.headers["l5d-err"]) ?? "", /dtab namespace default does not exist/);
    const created = await http(namerd.http, "POST", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: `/svc/a => /$/inet/127.1/${b.port};`,
    });
    assert.equal(created.status, 204);
    await untilRoutedTo(proxy, "a", "B", 1000);
  });

  it("a missing namespace binds with an empty dtab, as namerd: a request's own l5d-dtab still routes; recreated without the name, the 502 is Neg's", async () => {
    assert.equal((await http(namerd.http, "DELETE", "/api/1/dtabs/default")).status, 204);
    const aside = async () => {
      const r = await send(proxy.port("out"), { headers: { Host: "a" } });
      return { status: r.status, err: l5dErr(r.headers["l5d-err"]) ?? "" };
    };
    let r = await aside();
    for (let i = 0; i < 100 && !/does not exist/.test(r.err); i++) {
      await new Promise((res) => setTimeout(res, 10));
      r = await aside();
    }
    assert.equal(r.status, 502);
    assert.match(r.err, /dtab namespace default does not exist/);
    const local = await send(proxy.port("out"), {
      headers: { Host: "a", "l5d-dtab": `/svc/a=>/$/inet/127.1/${a.port}` },
    });
    assert.equal(local.text, "A", "namerd binds the request's dtab in a namespace that does not exist");
    const created = await http(namerd.http, "POST", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: `/svc/other => /$/inet/127.1/${b.port};`,
    });
    assert.equal(created.status, 204);
    for (let i = 0; i < 100 && /does not exist/.test(r.err); i++) {
      await new Promise((res) => setTimeout(res, 10));
      r = await aside();
    }
    assert.equal(r.status, 502);
    assert.match(r.err, /^No hosts are available for \/svc\/a/);
    const back = await http(namerd.http, "PUT", "/api/1/dtabs/default", {
      headers: { "Content-Type": "application/dtab" },
      body: `/svc/a => /$/inet/127.1/${b.port};`,
    });
    assert.equal(back.status, 204);
    await untilRoutedTo(proxy, "a", "B", 1000);
  });

  it("the admin server lists the interpreter's state page", async () => {
    const index = (await adminGet(proxy.admin, "/admin")).text;
    assert.match(index, /\/out\/interpreter_state\/io\.l5d\.namerd\/default\.json\tan interpreter's state/);
  });
});

describe("io.l5d.fs (a dtab file, watched)", () => {
  it("applies the file's dtab, follows its changes, and keeps the last good one while it is broken", async () => {
    const file = join(tmp.path, "dtab.txt");
    writeFileSync(file, `/svc/a => /$/inet/127.1/${a.port};\n`);
    const proxy = await startProxyWith(
      tmp.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  interpreter: {kind: io.l5d.fs, dtabFile: ${file}}
  servers: [{port: 0}]
`,
    );
    assert.equal((await send(proxy.port("out"), { headers: { Host: "a" } })).text, "A");
    writeFileSync(file, `# moved\n/svc/a => /$/inet/127.1/${b.port};\n`);
    await untilRoutedTo(proxy, "a", "B", 5000);
    writeFileSync(file, "/svc/a => ;;\n");
    const page = "/out/interpreter_state/io.l5d.fs/dtab.txt.json";
    for (let i = 0; i < 300; i++) {
      if (JSON.parse((await adminGet(proxy.admin, page)).text).error !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const state = JSON.parse((await adminGet(proxy.admin, page)).text);
    assert.match(state.error, /dtab file .*dtab\.txt/);
    assert.equal(state.dtab, `/svc/a=>/$/inet/127.1/${b.port}`);
    assert.equal(
      (await send(proxy.port("out"), { headers: { Host: "a" } })).text,
      "B",
      "the last good dtab stands",
    );
    rmSync(file);
    assert.equal((await send(proxy.port("out"), { headers: { Host: "a" } })).text, "B");
    await proxy.stop();
  });
});

describe("interpreter config errors", () => {
  const check = async (interpreter: string) => {
    const file = writeConfig(
      tmp.path,
      `routers:\n- protocol: http\n  interpreter: ${interpreter}\n  servers: [{port: 0}]\n`,
    );
    return runTrellis(["proxy", file]);
  };

  it("io.l5d.namerd without dst, with a bad retry, and io.l5d.namerd.http without experimental: exit 2 at the key", async () => {
    const noDst = await check("{kind: io.l5d.namerd}");
    assert.equal(noDst.code, 2);
    assert.match(noDst.stderr, /routers\[0\]\.interpreter\.dst/);
    const retry = await check(
      "{kind: io.l5d.namerd, dst: /$/inet/127.1/4100, retry: {baseSeconds: 10, maxSeconds: 5}}",
    );
    assert.equal(retry.code, 2);
    assert.match(retry.stderr, /baseSeconds must not exceed maxSeconds/);
    const http = await check("{kind: io.l5d.namerd.http, dst: /$/inet/127.1/4180}");
    assert.equal(http.code, 2);
    assert.match(http.stderr, /io\.l5d\.namerd\.http is experimental: set experimental: true/);
    const fs = await check("{kind: io.l5d.fs}");
    assert.equal(fs.code, 2);
    assert.match(fs.stderr, /routers\[0\]\.interpreter\.dtabFile/);
  });
});
