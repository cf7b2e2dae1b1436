// Tests of the io.l5d.fs namer on real files: resolution, residuals, live changes, failures, enumeration.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Addr, BoundName, type Name, type NameTree, Path, readPath } from "../../naming/index.ts";
import { FsNamer } from "./fs-namer.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function root(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "trellis-fs-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const full = join(dir, ...name.split("/"));
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

const PREFIX = readPath("/#/io.l5d.fs");

function lookup(namer: FsNamer, path: string): NameTree<Name> {
  const s = namer.lookup(readPath(path)).sample();
  assert.equal(s.kind, "ok");
  return (s as { value: NameTree<Name> }).value;
}

function bound(tree: NameTree<Name>): BoundName {
  assert.equal(tree.kind, "leaf");
  const v = (tree as { value: Name }).value;
  assert.ok(v instanceof BoundName);
  return v;
}

/** The Addr once it leaves Pending (files are read synchronously; host names resolve asynchronously). */
async function settled(b: BoundName): Promise<Addr> {
  for (let i = 0; i < 100; i++) {
    const a = b.addr.sample();
    if (a.kind !== "pending") return a;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("still pending");
}

describe("FsNamer", () => {
  it("binds a file to its addresses with the file as id and the rest as residual", async () => {
    const namer = new FsNamer(root({ pong: "127.0.0.1 8002\n127.0.0.1 8003 * 3\n" }), PREFIX, {
      watch: false,
    });
    const b = bound(lookup(namer, "/pong/extra/path"));
    assert.equal(b.id.show, "/#/io.l5d.fs/pong");
    assert.equal(b.residual.show, "/extra/path");
    const a = await settled(b);
    assert.equal(a.kind, "bound");
    assert.deepEqual(
      (a as Extract<Addr, { kind: "bound" }>).addrs.map((x) => [x.ip, x.port, x.meta.endpoint_addr_weight]),
      [
        ["127.0.0.1", 8002, undefined],
        ["127.0.0.1", 8003, 3],
      ],
    );
  });

  it("walks into directories; a missing file or a directory alone is Neg", () => {
    const namer = new FsNamer(root({ "team/api": "127.0.0.1 1\n" }), PREFIX, { watch: false });
    assert.equal(bound(lookup(namer, "/team/api/v1")).id.show, "/#/io.l5d.fs/team/api");
    assert.equal(lookup(namer, "/team").kind, "neg");
    assert.equal(lookup(namer, "/nope").kind, "neg");
    assert.equal(lookup(namer, "/team/nope").kind, "neg");
  });

  it("never leaves rootDir (`..` is not a way out)", () => {
    const namer = new FsNamer(root({ a: "127.0.0.1 1\n" }), PREFIX, { watch: false });
    assert.equal(lookup(namer, "/../a").kind, "neg");
    assert.equal(lookup(namer, "/./a").kind, "neg");
  });

  it("a malformed file makes the Addr Failed with the file and line; fixing it binds again", async () => {
    const dir = root({ web: "127.0.0.1 80\n" });
    const namer = new FsNamer(dir, PREFIX, { watch: false });
    const b = bound(lookup(namer, "/web"));
    assert.equal((await settled(b)).kind, "bound");
    writeFileSync(join(dir, "web"), "127.0.0.1 80\n127.0.0.1 eighty\n");
    namer.refresh();
    const failed = b.addr.sample();
    assert.equal(failed.kind, "failed");
    assert.match((failed as { cause: string }).cause, /^web:2: /);
    writeFileSync(join(dir, "web"), "127.0.0.1 81\n");
    namer.refresh();
    const again = await settled(b);
    assert.deepEqual(
      (again as Extract<Addr, { kind: "bound" }>).addrs.map((x) => x.port),
      [81],
    );
  });

  it("follows files coming and going, as seen by the watcher", async () => {
    const dir = root({});
    const namer = new FsNamer(dir, PREFIX);
    try {
      const seen: string[] = [];
      const sub = namer.lookup(readPath("/late")).observe((s) => {
        if (s.kind === "ok") seen.push(s.value.kind);
      });
      assert.deepEqual(seen, ["neg"]);
      writeFileSync(join(dir, "late"), "127.0.0.1 9\n");
      await waitFor(() => seen.at(-1) === "leaf");
      unlinkSync(join(dir, "late"));
      await waitFor(() => seen.at(-1) === "neg");
      sub.close();
    } finally {
      namer.close();
    }
  });

  it("lists every service for /bound-names.json, with host names resolved by the injected lookup", async () => {
    const namer = new FsNamer(root({ a: "web.internal 80\n", "b/c": "127.0.0.1 1\n" }), PREFIX, {
      watch: false,
      lookup: async (host) => (host === "web.internal" ? ["10.1.2.3"] : []),
    });
    assert.deepEqual(
      namer.boundNames().map((p) => p.show),
      ["/#/io.l5d.fs/a", "/#/io.l5d.fs/b/c"],
    );
    const a = await settled(bound(lookup(namer, "/a")));
    assert.equal((a as Extract<Addr, { kind: "bound" }>).addrs[0]?.ip, "10.1.2.3");
  });

  it("refuses a rootDir that is not a directory", () => {
    assert.throws(() => new FsNamer("/nonexistent/trellis", PREFIX), /is not a directory/);
    assert.ok(Path.empty.isEmpty);
  });
});

async function waitFor(test: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not met within 2 s");
}
