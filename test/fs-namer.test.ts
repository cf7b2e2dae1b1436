// The io.l5d.fs namer in a running proxy: files route, changes apply live, admin pages show the namer.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  adminGet,
  Backend,
  type ProxyProcess,
  send,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";

describe("io.l5d.fs in trellis proxy", () => {
  const dir = tempDir("trellis-fs-e2e-");
  const disco = join(dir.path, "disco");
  let a: Backend;
  let b: Backend;
  let proxy: ProxyProcess;

  before(async () => {
    a = await Backend.start("A");
    b = await Backend.start("B");
    mkdirSync(disco);
    writeFileSync(join(disco, "pong"), `# pong's replicas\n127.0.0.1 ${a.port}\n`);
    proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
routers:
- protocol: http
  label: out
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`,
    );
  });

  after(async () => {
    await proxy?.stop();
    await a?.close();
    await b?.close();
    dir.cleanup();
  });

  it("routes a Host to the addresses in its file", async () => {
    const r = await send(proxy.port("out"), { headers: { Host: "pong" } });
    assert.equal(r.status, 200);
    assert.equal(a.last.headers["l5d-dst-client"], "/#/io.l5d.fs/pong");
  });

  it("applies a changed file to routing within a second", async () => {
    writeFileSync(join(disco, "pong"), `127.0.0.1 ${b.port}\n`);
    const deadline = Date.now() + 1000;
    for (;;) {
      b.reset();
      await send(proxy.port("out"), { headers: { Host: "pong" } });
      if (b.requests.length === 1) break;
      assert.ok(Date.now() < deadline, "the change did not reach routing within a second");
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it("keeps serving the last good addresses while a file is malformed, and says why", async () => {
    writeFileSync(join(disco, "pong"), "127.0.0.1 not-a-port\n");
    let state: { files: Record<string, { type: string; cause?: string }> } = { files: {} };
    for (let i = 0; i < 50 && state.files.pong?.type !== "failed"; i++) {
      state = JSON.parse((await adminGet(proxy.admin, "/namer_state/io.l5d.fs.json")).body.toString());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(state.files.pong?.type, "failed");
    assert.match(state.files.pong?.cause ?? "", /^pong:1: expected a port/);
    const r = await send(proxy.port("out"), { headers: { Host: "pong" } });
    assert.equal(r.status, 200, "the last good address still serves");
    writeFileSync(join(disco, "pong"), `127.0.0.1 ${a.port}\n`);
  });

  it("lists its services in /bound-names.json, and answers 502 for a service that has no file", async () => {
    writeFileSync(join(disco, "ping"), `127.0.0.1 ${a.port}\n`);
    let names: string[] = [];
    for (let i = 0; i < 50 && !names.includes("/#/io.l5d.fs/ping"); i++) {
      names = JSON.parse((await adminGet(proxy.admin, "/bound-names.json")).body.toString());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(names, ["/#/io.l5d.fs/ping", "/#/io.l5d.fs/pong"]);
    const r = await send(proxy.port("out"), { headers: { Host: "nothere" } });
    assert.equal(r.status, 502);
  });
});
