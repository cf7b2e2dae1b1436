// Tests for the filtering core: kept addresses, Neg when none is left, ids prefixed, and the IP set's own states.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Activity, Addr, Cell, NameTree, readPath, State, Var } from "../naming/index.ts";
import { addressFilterTransformer, filterAddr } from "./address-filter.ts";
import { type IpSet, ipSet } from "./ip-set.ts";
import { boundName, inet, okValue, onlyLeaf, record } from "./testkit.ts";

const local = ipSet(["10.0.0.1", "::1"]);

describe("filterAddr", () => {
  test("keeps the addresses whose IP is in the set, with their metadata and the Addr's", () => {
    const addr = Addr.bound(
      [inet("10.0.0.1", 80, { endpoint_addr_weight: 2 }), inet("10.0.0.2", 80), inet("::1", 81)],
      { authority: "web" },
    );
    assert.deepEqual(
      filterAddr(addr, local),
      Addr.bound([inet("10.0.0.1", 80, { endpoint_addr_weight: 2 }), inet("::1", 81)], { authority: "web" }),
    );
  });

  test("compares addresses, not spellings", () => {
    const addr = Addr.bound([inet("::ffff:10.0.0.1", 80), inet("0:0:0:0:0:0:0:1", 81)]);
    assert.deepEqual(filterAddr(addr, local), addr);
  });

  test("none left is Neg, also for a Bound that had none", () => {
    assert.equal(filterAddr(Addr.bound([inet("10.9.9.9", 80)]), local), Addr.neg);
    assert.equal(filterAddr(Addr.bound([]), local), Addr.neg);
  });

  test("Neg, Failed and Pending pass through", () => {
    for (const a of [Addr.neg, Addr.pending, Addr.failed("down")]) assert.equal(filterAddr(a, local), a);
  });
});

describe("addressFilterTransformer", () => {
  test("prefixes ids, keeps residuals and filters every leaf's Addr", () => {
    const t = addressFilterTransformer("io.l5d.test", readPath("/%/io.l5d.test"), Activity.value(local));
    const web = boundName(
      "/#/io.l5d.fs/web",
      Var.value(Addr.bound([inet("10.0.0.1", 80), inet("10.0.0.3", 80)])),
      "/r",
    );
    const out = onlyLeaf(okValue(t.transform(NameTree.leaf(web))));
    assert.equal(out.id.show, "/%/io.l5d.test/#/io.l5d.fs/web");
    assert.equal(out.residual.show, "/r");
    assert.deepEqual(out.addr.sample(), Addr.bound([inet("10.0.0.1", 80)]));
    assert.equal(t.name, "io.l5d.test");
  });

  test("the Addr is Pending until the IP set is known, Failed if it cannot be, and follows it", () => {
    const ips = new Cell<State<IpSet>>(State.pending);
    const addr = new Cell<Addr>(Addr.bound([inet("10.0.0.1", 80), inet("10.0.0.2", 80)]));
    const t = addressFilterTransformer("io.l5d.test", readPath("/%/t"), new Activity(ips));
    const out = onlyLeaf(okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", addr)))));
    const seen = record(out.addr);
    assert.equal(addr.observerCount, 0, "the Addr is not watched before the IP set is known");
    ips.set(State.ok(ipSet(["10.0.0.2"])));
    assert.equal(addr.observerCount, 1);
    addr.set(Addr.bound([inet("10.0.0.1", 80)]));
    ips.set(State.failed(new Error("no DNS")));
    assert.equal(addr.observerCount, 0, "the Addr is let go while the IP set is failed");
    assert.deepEqual(seen.values, [
      Addr.pending,
      Addr.bound([inet("10.0.0.2", 80)]),
      Addr.neg,
      Addr.failed("no DNS"),
    ]);
    seen.sub.close();
    assert.equal(ips.observerCount, 0);
  });
});
