// The in-process stores' rules (in-memory here; the durable store shares them): create, compare-and-set, put, delete, watches.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Dtab, readDtab, type State } from "../../naming/index.ts";
import {
  InvalidNamespaceError,
  NamespaceExistsError,
  NamespaceMissingError,
  type VersionedDtab,
  VersionMismatchError,
} from "../core.ts";
import { InMemoryDtabStore } from "./in-memory-store.ts";

const d = (text: string): Dtab => readDtab(text);
const b64 = (v: Uint8Array) => Buffer.from(v).toString("base64");

async function current(store: InMemoryDtabStore, ns: string): Promise<VersionedDtab | undefined> {
  return store.observe(ns).toPromise(1000);
}

describe("InMemoryDtabStore", () => {
  test("seeds namespaces from the config with namerd's first version, 8 bytes big-endian 1", async () => {
    const store = new InMemoryDtabStore(new Map([["yeezus", d("/yeezy => /yeezus")]]));
    const v = await current(store, "yeezus");
    assert.equal(v?.dtab.show, "/yeezy=>/yeezus");
    assert.equal(b64(v?.version as Uint8Array), "AAAAAAAAAAE=");
    assert.deepEqual(await store.list().toPromise(1000), ["yeezus"]);
  });

  test("create refuses an existing namespace; list stays sorted", async () => {
    const store = new InMemoryDtabStore();
    await store.create("tlop", d("/a=>/b"));
    await store.create("graduation", d("/a=>/c"));
    await assert.rejects(store.create("tlop", d("/a=>/z")), NamespaceExistsError);
    assert.deepEqual(await store.list().toPromise(1000), ["graduation", "tlop"]);
    assert.equal((await current(store, "tlop"))?.dtab.show, "/a=>/b");
  });

  test("update is compare-and-set on the version; a stale or missing version is refused", async () => {
    const store = new InMemoryDtabStore();
    await store.create("ns", d("/a=>/b"));
    const v1 = (await current(store, "ns"))?.version as Uint8Array;
    await store.update("ns", d("/a=>/c"), v1);
    const v2 = (await current(store, "ns"))?.version as Uint8Array;
    assert.notEqual(b64(v1), b64(v2));
    await assert.rejects(store.update("ns", d("/a=>/d"), v1), VersionMismatchError);
    await assert.rejects(store.update("nope", d("/a=>/d"), v1), NamespaceMissingError);
    assert.equal((await current(store, "ns"))?.dtab.show, "/a=>/c");
  });

  test("two updates with the same version at once: exactly one wins", async () => {
    const store = new InMemoryDtabStore(new Map([["ns", d("/a=>/b")]]));
    const v = (await current(store, "ns"))?.version as Uint8Array;
    const results = await Promise.allSettled([
      store.update("ns", d("/a=>/one"), v),
      store.update("ns", d("/a=>/two"), v),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(lost.reason instanceof VersionMismatchError);
    assert.equal((await current(store, "ns"))?.dtab.show, "/a=>/one");
  });

  test("put creates or replaces whatever the version; delete removes, and a second delete is refused", async () => {
    const store = new InMemoryDtabStore();
    await store.put("ns", d("/a=>/b"));
    await store.put("ns", d("/a=>/c"));
    assert.equal((await current(store, "ns"))?.dtab.show, "/a=>/c");
    await store.delete("ns");
    assert.equal(await current(store, "ns"), undefined);
    await assert.rejects(store.delete("ns"), NamespaceMissingError);
  });

  test("a namespace deleted and created again never gets an old version back", async () => {
    const store = new InMemoryDtabStore();
    await store.create("ns", d("/a=>/b"));
    const old = (await current(store, "ns"))?.version as Uint8Array;
    await store.delete("ns");
    await store.create("ns", d("/a=>/c"));
    await assert.rejects(store.update("ns", d("/a=>/d"), old), VersionMismatchError);
  });

  test("watchers see each change, deletion as undefined, and stop being told once closed", async () => {
    const store = new InMemoryDtabStore();
    const seen: string[] = [];
    const sub = store.observe("ns").observe((s: State<VersionedDtab | undefined>) => {
      if (s.kind === "ok") seen.push(s.value?.dtab.show ?? "(absent)");
    });
    await store.create("ns", d("/a=>/b"));
    await store.put("ns", d("/a=>/c"));
    await store.delete("ns");
    sub.close();
    await store.create("ns", d("/a=>/z"));
    assert.deepEqual(seen, ["(absent)", "/a=>/b", "/a=>/c", "(absent)"]);
  });

  test("names that cannot be a URL segment, a znode or a file key are refused", async () => {
    const store = new InMemoryDtabStore();
    for (const bad of ["", "a/b", "..", "a b", "x".repeat(300)]) {
      await assert.rejects(store.create(bad, d("/a=>/b")), InvalidNamespaceError, bad);
    }
    await store.create("ok_name-1.2:3@x", d("/a=>/b"));
  });
});
