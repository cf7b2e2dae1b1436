// The durable store on a real directory: what is written survives reopening, versions never repeat, one owner at a time.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readDtab } from "../../naming/index.ts";
import { VersionMismatchError } from "../core.ts";
import { DurableDtabStore, DurableStoreError } from "./durable-store.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "trellis-durable-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("DurableDtabStore", () => {
  test("every acknowledged write is there after the store is closed and opened again", async () => {
    const dir = freshDir();
    const a = new DurableDtabStore(dir);
    await a.create("default", readDtab("/svc => /#/io.l5d.fs"));
    await a.put("other", readDtab("/a => /b"));
    await a.put("other", readDtab("/a => /c"));
    await a.create("gone", readDtab("/x => /y"));
    await a.delete("gone");
    const before = await a.observe("other").toPromise(1000);
    await a.close();

    const b = new DurableDtabStore(dir);
    assert.deepEqual(await b.list().toPromise(1000), ["default", "other"]);
    const other = await b.observe("other").toPromise(1000);
    assert.equal(other?.dtab.show, "/a=>/c");
    assert.deepEqual(other?.version, before?.version, "the version survives too, so If-Match keeps working");
    assert.equal((await b.observe("default").toPromise(1000))?.dtab.show, "/svc=>/#/io.l5d.fs");
    await b.close();
  });

  test("versions keep counting across restarts, so an old version never matches again", async () => {
    const dir = freshDir();
    const a = new DurableDtabStore(dir);
    await a.create("ns", readDtab("/a=>/b"));
    const old = (await a.observe("ns").toPromise(1000))?.version as Uint8Array;
    await a.delete("ns");
    await a.close();
    const b = new DurableDtabStore(dir);
    await b.create("ns", readDtab("/a=>/c"));
    await assert.rejects(b.update("ns", readDtab("/a=>/d"), old), VersionMismatchError);
    await b.close();
  });

  test("a directory in use by a live process is refused; a lock left by a dead one is taken over", async () => {
    const dir = freshDir();
    const a = new DurableDtabStore(dir);
    // This process holds it; another live process (the parent of this test runner) claims it here.
    writeFileSync(join(dir, "lock"), `${process.ppid}\n`);
    assert.throws(
      () => new DurableDtabStore(dir),
      (e: Error) => {
        assert.ok(e instanceof DurableStoreError);
        assert.match(e.message, new RegExp(`in use by process ${process.ppid}`));
        return true;
      },
    );
    writeFileSync(join(dir, "lock"), "999999999\n");
    const b = new DurableDtabStore(dir);
    assert.equal(readFileSync(join(dir, "lock"), "utf8").trim(), String(process.pid));
    await b.close();
    await a.close();
  });

  test("a damaged data file stops the store from opening rather than losing it", () => {
    const dir = freshDir();
    writeFileSync(join(dir, "dtabs.json"), '{"format":"trellis.dtabs/1","seq":"3","namesp');
    assert.throws(() => new DurableDtabStore(dir), /dtabs\.json is not valid JSON/);
    writeFileSync(join(dir, "dtabs.json"), JSON.stringify({ something: "else" }));
    assert.throws(() => new DurableDtabStore(dir), /not a trellis dtab file/);
  });

  test("temporary files left by a crash are removed; the data file is whole JSON after every write", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "dtabs.json.tmp-123-1"), '{"half');
    const s = new DurableDtabStore(dir);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(".tmp-")),
      [],
    );
    for (let i = 0; i < 20; i++) {
      await s.put(`ns${i % 3}`, readDtab(`/a => /b${i}`));
      const data = JSON.parse(readFileSync(join(dir, "dtabs.json"), "utf8"));
      assert.equal(data.namespaces[`ns${i % 3}`].dtab, `/a=>/b${i}`);
    }
    await s.close();
  });
});
