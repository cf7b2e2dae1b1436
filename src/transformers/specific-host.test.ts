// Tests for io.l5d.specificHost: only the configured host's addresses kept, a literal at once, a name looked up once.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Addr, NameTree, readPath, Var } from "../naming/index.ts";
import { SPECIFIC_HOST_KIND, specificHostTransformer } from "./specific-host.ts";
import { boundName, flush, inet, okValue, onlyLeaf, record, tableLookup } from "./testkit.ts";

const mixed = () =>
  Var.value(
    Addr.bound([inet("172.17.0.1", 80), inet("172.17.0.2", 80), inet("10.0.0.9", 80), inet("fd00::9", 80)]),
  );

describe("io.l5d.specificHost", () => {
  test("an IP literal is used at once, without a lookup", () => {
    const { lookup, calls } = tableLookup({});
    const t = specificHostTransformer({ host: "172.17.0.1" }, { lookup });
    const out = onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", mixed(), "/x")))));
    assert.equal(out.id.show, "/%/io.l5d.specificHost/#/io.l5d.fs/web");
    assert.equal(out.residual.show, "/x");
    assert.deepEqual(record(out.addr).values, [Addr.bound([inet("172.17.0.1", 80)])]);
    assert.deepEqual(calls, []);
    assert.equal(t.name, SPECIFIC_HOST_KIND);
  });

  test("a host name is looked up once, and every one of its addresses is kept", async () => {
    const { lookup, calls } = tableLookup({ "docker-host": ["10.0.0.9", "fd00:0:0:0:0:0:0:9"] });
    const t = specificHostTransformer({ host: "docker-host" }, { lookup });
    const first = record(
      onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/a", mixed()))))).addr,
    );
    assert.deepEqual(first.values, [Addr.pending]);
    await flush();
    assert.deepEqual(first.last(), Addr.bound([inet("10.0.0.9", 80), inet("fd00::9", 80)]));
    const second = record(
      onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/b", mixed()))))).addr,
    );
    assert.deepEqual(second.values, [Addr.bound([inet("10.0.0.9", 80), inet("fd00::9", 80)])]);
    assert.deepEqual(calls, ["docker-host"]);
    first.sub.close();
    second.sub.close();
  });

  test("a host that does not resolve makes the Addr Failed, saying why", async () => {
    const { lookup } = tableLookup({});
    const t = specificHostTransformer({ host: "nowhere" }, { lookup });
    const seen = record(
      onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/a", mixed()))))).addr,
    );
    await flush();
    assert.deepEqual(
      seen.last(),
      Addr.failed("io.l5d.specificHost: cannot resolve nowhere: getaddrinfo ENOTFOUND nowhere"),
    );
    seen.sub.close();
  });

  test("a configured prefix replaces /io.l5d.specificHost; an empty host is refused", () => {
    const t = specificHostTransformer({ host: "127.1", prefix: readPath("/docker") });
    const out = onlyLeaf(
      okValue(
        t.transform(
          NameTree.leaf(boundName("/#/io.l5d.fs/a", Var.value(Addr.bound([inet("127.0.0.1", 1)])))),
        ),
      ),
    );
    assert.equal(out.id.show, "/%/docker/#/io.l5d.fs/a");
    assert.deepEqual(out.addr.sample(), Addr.bound([inet("127.0.0.1", 1)]));
    assert.throws(() => specificHostTransformer({ host: "" }), RangeError);
  });
});
