// The io.l5d.rewrite namer in a running proxy: a fitting path is rewritten and bound again, others fall through; bad keys are refused.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  Backend,
  l5dErr,
  type ProxyProcess,
  runTrellis,
  send,
  startProxyWith,
  tempDir,
  writeConfig,
} from "./support/proxy-harness.ts";

describe("io.l5d.rewrite in trellis proxy", () => {
  const dir = tempDir("trellis-rewrite-e2e-");
  const disco = join(dir.path, "disco");
  let pong: Backend;
  let fallback: Backend;
  let proxy: ProxyProcess;

  before(async () => {
    pong = await Backend.start("pong");
    fallback = await Backend.start("fallback");
    mkdirSync(disco);
    writeFileSync(join(disco, "pong"), `127.0.0.1 ${pong.port}\n`);
    proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
- kind: io.l5d.rewrite
  prefix: /rw
  pattern: /{service}/api
  name: /srv/{service}
routers:
- protocol: http
  label: out
  identifier: {kind: io.l5d.path, segments: 2}
  dtab: |
    /srv => /#/io.l5d.fs;
    /svc/fallback => /$/inet/127.1/${fallback.port};
    /svc => /#/rw;
  servers: [{port: 0}]
`,
    );
  });

  after(async () => {
    await proxy?.stop();
    await pong?.close();
    await fallback?.close();
    dir.cleanup();
  });

  it("rewrites /svc/<service>/api to /srv/<service>, bound again through the dtab", async () => {
    const r = await send(proxy.port("out"), { path: "/pong/api/users?id=7" });
    assert.equal(r.status, 200);
    assert.equal(r.text, "pong");
    assert.equal(pong.last.url, "/pong/api/users?id=7", "the request itself is unchanged");
    assert.equal(pong.last.headers["l5d-dst-service"], "/svc/pong/api");
    assert.equal(pong.last.headers["l5d-dst-client"], "/#/io.l5d.fs/pong");
  });

  it("gives Neg for a path that does not fit, so earlier dtab entries are tried, else 502", async () => {
    const other = await send(proxy.port("out"), { path: "/fallback/web" });
    assert.equal(other.status, 200);
    assert.equal(other.text, "fallback");
    const none = await send(proxy.port("out"), { path: "/pong/web" });
    assert.equal(none.status, 502);
    assert.match(l5dErr(none.headers["l5d-err"]) ?? "", /\/svc\/pong\/web/);
  });

  it("refuses a name that uses a variable the pattern does not capture, at its key, with exit 2", async () => {
    const file = writeConfig(
      dir.path,
      `namers:
- kind: io.l5d.rewrite
  prefix: /rw
  pattern: /{service}/api
  name: /srv/{svc}
routers:
- protocol: http
  dtab: /svc => /#/rw;
  servers: [{port: 0}]
`,
    );
    const r = await runTrellis(["proxy", file], { killWhen: /listening/ });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /namers\[0\]\.name: \{svc\} is not captured by the pattern "\/\{service\}\/api"/);
  });
});
