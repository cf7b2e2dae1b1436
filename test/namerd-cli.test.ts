// The dtab command line against a running namerd (namerctl's commands): output, versions, errors and exit statuses.

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { http, type NamerdRun, startNamerdWith } from "./support/namerd.ts";
import { runTrellis, tempDir, writeConfig } from "./support/proxy-harness.ts";

describe("trellis dtab against namerd", () => {
  const dir = tempDir("trellis-namerd-cli-");
  let namerd: NamerdRun;
  let guarded = 0;
  const dtab = (...args: string[]) =>
    runTrellis(["dtab", ...args], { env: { NAMERCTL_BASE_URL: namerd.base } });

  before(async () => {
    namerd = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage: {kind: io.l5d.inMemory}
interfaces:
- {kind: io.l5d.httpController, port: 0}
- {kind: io.l5d.httpController, port: 0, writeToken: t0ken}
`,
    );
    const second = namerd.proc.lines.filter((l) => /httpController listening/.test(l))[1] ?? "";
    guarded = Number(/:(\d+)$/.exec(second)?.[1]);
  });

  after(async () => {
    await namerd?.stop();
    dir.cleanup();
  });

  it("creates from a file and from standard input, and lists", async () => {
    const file = writeConfig(
      dir.path,
      "/svc      => /#/io.l5d.fs;\n/svc/pong => /$/inet/127.1/8002;\n",
      "default.dtab",
    );
    const created = await dtab("create", "default", file);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, "Created default\n");
    const piped = await runTrellis(["dtab", "new", "canary", "-", "--base-url", namerd.base], {
      stdin: "/svc => /$/nil",
    });
    assert.equal(piped.stdout, "Created canary\n");
    const list = await dtab("list");
    assert.equal(list.stdout, "canary\ndefault\n");
  });

  it("gets a dtab as namerctl prints it: the version, then one entry a line with the arrows aligned", async () => {
    const [r, oneLine, asJson] = await Promise.all([
      dtab("get", "default"),
      dtab("cat", "default", "--no-pretty"),
      dtab("get", "default", "--json"),
    ]);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      "# version AAAAAAAAAAE=\n/svc       => /#/io.l5d.fs ;\n/svc/pong  => /$/inet/127.1/8002 ;\n",
    );
    assert.equal(oneLine.stdout, "/svc=>/#/io.l5d.fs;/svc/pong=>/$/inet/127.1/8002;\n");
    const json = JSON.parse(asJson.stdout);
    assert.deepEqual(json, {
      version: "AAAAAAAAAAE=",
      dtab: [
        { prefix: "/svc", dst: "/#/io.l5d.fs" },
        { prefix: "/svc/pong", dst: "/$/inet/127.1/8002" },
      ],
    });
  });

  it("updates only while the version given is current; a stale one prints namerd's 412 and exits 1", async () => {
    const file = writeConfig(
      dir.path,
      "/svc => /#/io.l5d.fs; /svc/pong => /$/inet/127.1/9002",
      "update.dtab",
    );
    const ok = await dtab("update", "default", file, "--version", "AAAAAAAAAAE=");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "Updated default\n");
    const stale = await dtab("up", "default", file, "--version", "AAAAAAAAAAE=");
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      /^trellis: dtab update default: 412 Precondition Failed: dtab namespace default has changed/,
    );
    // `get --json` output, edited, is what update reads back; its version guards the write.
    const current = JSON.parse((await dtab("get", "default", "--json")).stdout);
    current.dtab[1].dst = "/$/inet/127.1/9003";
    const roundTrip = await dtab(
      "update",
      "default",
      writeConfig(dir.path, JSON.stringify(current), "edited.json"),
    );
    assert.equal(roundTrip.code, 0, roundTrip.stderr);
    const again = await dtab(
      "update",
      "default",
      writeConfig(dir.path, JSON.stringify(current), "edited2.json"),
    );
    assert.equal(again.code, 1, "the version inside the file is stale now");
  });

  it("prints namerd's message for a malformed dtab and a missing namespace", async () => {
    const bad = await dtab("update", "default", writeConfig(dir.path, "/svc => ;", "bad.dtab"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /400 Bad Request: invalid dtab: expected a name .* at 1:9 \(found ';'\)/);
    const missing = await dtab("get", "nope");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^trellis: dtab get nope: namespace nope not found: 404 Not Found/);
  });

  it("explains a path as namerd binds it, drawn or as JSON", async () => {
    const drawn = await dtab("delegate", "--namespace", "default", "/svc/pong");
    assert.equal(drawn.code, 0, drawn.stderr);
    assert.match(drawn.stdout, /^\/svc\/pong\b/);
    assert.match(drawn.stdout, /bound \/\$\/inet\/127\.1\/9003: 127\.0\.0\.1:9003/);
    const json = await dtab("delegate", "--namespace", "default", "--json", "/svc/pong");
    const api = await http(namerd.http, "GET", "/api/1/delegate/default?path=/svc/pong");
    assert.deepEqual(JSON.parse(json.stdout), JSON.parse(api.body));
  });

  it("deletes, with namerctl's aliases", async () => {
    assert.equal((await dtab("rm", "canary")).stdout, "Deleted canary\n");
    const again = await dtab("delete", "canary");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /404/);
  });

  it("sends the bearer token to a guarded controller; without it namerd's 401 is printed", async () => {
    const base = `http://127.0.0.1:${guarded}`;
    const file = writeConfig(dir.path, "/a => /b", "guarded.dtab");
    const refused = await runTrellis(["dtab", "create", "guarded", file, "--base-url", base]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401 Unauthorized/);
    const ok = await runTrellis(["dtab", "create", "guarded", file, "--base-url", base], {
      env: { TRELLIS_NAMERD_TOKEN: "t0ken" },
    });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("says when namerd cannot be reached, and refuses options that do not apply", async () => {
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const down = await runTrellis(["dtab", "list", "--base-url", `http://127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`cannot reach namerd at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
    const wrong = await dtab("list", "--version", "x");
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--version does not apply here/);
    const url = await runTrellis(["dtab", "list", "--base-url", "namerd:4180"]);
    assert.equal(url.code, 2);
  });
});
