// Tests of a replica set: it follows its Addr, keeps the last good endpoints through failures, drops them on Neg.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Addr, BoundName, Cell, readPath } from "../naming/index.ts";
import { ReplicaSet } from "./replica-set.ts";

function setOf(cell: Cell<Addr>): ReplicaSet {
  return new ReplicaSet(new BoundName(readPath("/#/io.l5d.fs/web"), cell), {
    random: () => 0.5,
    now: () => 0,
  });
}

function picked(rs: ReplicaSet): string {
  const p = rs.pick();
  return p.kind === "endpoint" ? p.endpoint.key : p.kind === "none" ? `none: ${p.why}` : "pending";
}

describe("ReplicaSet", () => {
  it("is pending until its Addr is known, then picks among the bound addresses", () => {
    const cell = new Cell<Addr>(Addr.pending);
    const rs = setOf(cell);
    assert.equal(picked(rs), "pending");
    cell.set(Addr.bound([Addr.address("127.0.0.1", 8080)]));
    assert.equal(picked(rs), "127.0.0.1:8080");
    rs.close();
  });

  it("keeps serving the last good addresses while discovery reports a failure", () => {
    const cell = new Cell<Addr>(Addr.bound([Addr.address("127.0.0.1", 8080)]));
    const rs = setOf(cell);
    cell.set(Addr.failed("web:2: expected a port"));
    assert.equal(picked(rs), "127.0.0.1:8080");
    rs.close();
  });

  it("has nothing to pick when the name is gone (Neg) or failed before anything was known", () => {
    const gone = new Cell<Addr>(Addr.bound([Addr.address("127.0.0.1", 8080)]));
    const a = setOf(gone);
    gone.set(Addr.neg);
    assert.match(picked(a), /^none: .*Neg/);
    a.close();
    const b = setOf(new Cell<Addr>(Addr.failed("zk down")));
    assert.match(picked(b), /^none: resolution failed: zk down/);
    b.close();
  });

  it("follows membership: new addresses join, removed ones leave", () => {
    const cell = new Cell<Addr>(Addr.bound([Addr.address("127.0.0.1", 1)]));
    const rs = setOf(cell);
    cell.set(Addr.bound([Addr.address("127.0.0.1", 2), Addr.address("127.0.0.1", 3)]));
    assert.deepEqual(rs.endpoints.map((e) => e.key).sort(), ["127.0.0.1:2", "127.0.0.1:3"]);
    rs.close();
    assert.equal(cell.observerCount, 0, "closing the set stops following the Addr");
  });
});
