// Tests for io.l5d.localhost: only this host's addresses kept, local IPs learned once, Pending until known.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Addr,
  type BoundName,
  Cell,
  type DelegateTree,
  Dentry,
  NameTree,
  readPath,
  Var,
} from "../naming/index.ts";
import { LOCALHOST_KIND, localhostTransformer } from "./localhost.ts";
import { boundName, deferred, flush, inet, okValue, onlyLeaf, record, showIds } from "./testkit.ts";

const fakeLocalIps = (ips: readonly string[]) => {
  let calls = 0;
  return {
    localIps: async () => {
      calls++;
      return ips;
    },
    calls: () => calls,
  };
};

describe("io.l5d.localhost", () => {
  test("keeps only the addresses that are this host's, under id /%/io.l5d.localhost/...", async () => {
    const { localIps } = fakeLocalIps(["127.0.0.1", "10.0.0.5", "::1"]);
    const t = localhostTransformer({}, { localIps });
    const web = boundName(
      "/#/io.l5d.fs/web",
      Var.value(Addr.bound([inet("10.0.0.5", 8080), inet("10.0.0.6", 8080), inet("::1", 8081)])),
      "/rest",
    );
    const out = onlyLeaf(okValue(t.transform(NameTree.leaf(web))));
    assert.equal(out.id.show, "/%/io.l5d.localhost/#/io.l5d.fs/web");
    assert.equal(out.residual.show, "/rest");
    const seen = record(out.addr);
    await flush();
    assert.deepEqual(seen.values, [Addr.pending, Addr.bound([inet("10.0.0.5", 8080), inet("::1", 8081)])]);
    seen.sub.close();
    assert.equal(t.name, LOCALHOST_KIND);
  });

  test("a name with no local address is Neg", async () => {
    const t = localhostTransformer({}, fakeLocalIps(["10.0.0.5"]));
    const out = onlyLeaf(
      okValue(
        t.transform(
          NameTree.leaf(boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("10.0.0.6", 80)])))),
        ),
      ),
    );
    const seen = record(out.addr);
    await flush();
    assert.equal(seen.last(), Addr.neg);
    seen.sub.close();
  });

  test("learns the local IPs once, when first needed, for every name", async () => {
    const fake = fakeLocalIps(["10.0.0.5"]);
    const t = localhostTransformer({}, fake);
    const a = boundName("/#/io.l5d.fs/a", Var.value(Addr.bound([inet("10.0.0.5", 1)])));
    const b = boundName("/#/io.l5d.fs/b", Var.value(Addr.bound([inet("10.0.0.5", 2)])));
    const tree = okValue(
      t.transform(
        NameTree.union(NameTree.weighted(1, NameTree.leaf(a)), NameTree.weighted(1, NameTree.leaf(b))),
      ),
    );
    assert.equal(showIds(tree), "/%/io.l5d.localhost/#/io.l5d.fs/a & /%/io.l5d.localhost/#/io.l5d.fs/b");
    assert.equal(fake.calls(), 0, "nothing is looked up before an Addr is observed");
    const seen = NameTree.leaves(tree).map((leaf) => record(leaf.addr));
    await flush();
    const again = record(onlyLeaf(okValue(t.transform(NameTree.leaf(a)))).addr);
    assert.deepEqual(again.values, [Addr.bound([inet("10.0.0.5", 1)])], "known at once the second time");
    assert.equal(fake.calls(), 1);
    for (const s of [...seen, again]) s.sub.close();
  });

  test("follows the Addr as it changes and lets go of it when closed", async () => {
    const answer = deferred<string[]>();
    const t = localhostTransformer({}, { localIps: () => answer.promise });
    const cell = new Cell<Addr>(Addr.bound([inet("10.0.0.5", 80)]));
    const out = onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", cell)))));
    const seen = record(out.addr);
    assert.deepEqual(seen.values, [Addr.pending]);
    answer.resolve(["10.0.0.5"]);
    await flush();
    cell.set(Addr.bound([inet("10.0.0.5", 80), inet("10.0.0.7", 80)]));
    cell.set(Addr.bound([inet("10.0.0.7", 80)]));
    cell.set(Addr.failed("zk down"));
    assert.deepEqual(seen.values, [
      Addr.pending,
      Addr.bound([inet("10.0.0.5", 80)]),
      Addr.bound([inet("10.0.0.5", 80)]),
      Addr.neg,
      Addr.failed("zk down"),
    ]);
    assert.equal(cell.observerCount, 1);
    seen.sub.close();
    assert.equal(cell.observerCount, 0);
  });

  test("local IPs that cannot be listed make the Addr Failed, saying why", async () => {
    const t = localhostTransformer({}, { localIps: () => Promise.reject(new Error("EPERM")) });
    const out = onlyLeaf(
      okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", Var.value(Addr.neg))))),
    );
    const seen = record(out.addr);
    await flush();
    assert.deepEqual(
      seen.last(),
      Addr.failed("io.l5d.localhost: cannot list this host's IP addresses: EPERM"),
    );
    seen.sub.close();
  });

  test("shows itself in delegation as io.l5d.localhost", () => {
    const t = localhostTransformer({ prefix: readPath("/local") }, fakeLocalIps([]));
    const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.neg));
    const leaf: DelegateTree<BoundName> = {
      kind: "leaf",
      path: readPath("/#/io.l5d.fs/web"),
      dentry: Dentry.nop,
      value: web,
    };
    const out = okValue(t.transformDelegation(leaf));
    assert.equal(out.kind, "transformation");
    if (out.kind !== "transformation") return;
    assert.equal(out.name, "io.l5d.localhost");
    assert.equal(out.tree.path.show, "/%/local/#/io.l5d.fs/web");
  });
});
