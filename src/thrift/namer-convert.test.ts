import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Addr,
  BoundName,
  DelegateTree,
  Dentry,
  NameTree,
  Path,
  readDentry,
  readPath,
  Var,
} from "../naming/index.ts";
import {
  fromAddrVal,
  fromBoundTree,
  fromDelegateTree,
  ipBytes,
  ipText,
  NamerConversionError,
  toBoundAddr,
  toBoundTree,
  toDelegateTree,
} from "./namer-convert.ts";

const bound = (id: string, residual = "/") =>
  new BoundName(readPath(id), Var.value(Addr.pending), readPath(residual));
const show = (t: NameTree<{ id: Path }>) => NameTree.show(t, (b) => b.id.show);

describe("bound trees as node tables", () => {
  test("children get ids depth first, as namerd numbers them; the root is not in the table", () => {
    const tree = NameTree.alt(
      NameTree.leaf(bound("/#/a")),
      NameTree.union(
        NameTree.weighted(0.3, NameTree.leaf(bound("/#/b"))),
        NameTree.weighted(0.7, NameTree.empty),
      ),
      NameTree.neg,
    );
    const t = toBoundTree(tree);
    assert.deepEqual(t.root, { kind: "alt", value: [0, 1, 4] });
    assert.deepEqual(t.nodes.get(1), {
      kind: "weighted",
      value: [
        { weight: 0.3, id: 2 },
        { weight: 0.7, id: 3 },
      ],
    });
    assert.equal(show(fromBoundTree(t)), "/#/a | 0.30*/#/b & 0.70*$ | ~");
  });

  test("residuals travel with leaves; unknown node ids and empty labels are refused", () => {
    const t = toBoundTree(NameTree.leaf(bound("/#/io.l5d.fs/a", "/x/y")));
    const back = fromBoundTree(t);
    assert.equal(back.kind === "leaf" ? back.value.residual.show : "", "/x/y");
    assert.throws(
      () => fromBoundTree({ root: { kind: "alt", value: [9] }, nodes: new Map() }),
      NamerConversionError,
    );
    assert.throws(
      () =>
        fromBoundTree({
          root: { kind: "leaf", value: { id: [new Uint8Array(0)], residual: [] } },
          nodes: new Map(),
        }),
      /cannot be empty/,
    );
    assert.throws(
      () =>
        fromBoundTree({
          root: { kind: "alt", value: [0] },
          nodes: new Map([[0, { kind: "alt", value: [0] }]]),
        }),
      /nested too deeply/,
    );
  });
});

describe("delegation trees as node tables", () => {
  test("round trip of delegate, alt, union, leaf, neg and exception nodes with their dentries", () => {
    const d = readDentry;
    const tree: DelegateTree<BoundName> = {
      kind: "delegate",
      path: readPath("/svc/a"),
      dentry: Dentry.nop,
      tree: {
        kind: "alt",
        path: readPath("/svc/a"),
        dentry: d("/svc=>/#/x | /#/y"),
        trees: [
          { kind: "leaf", path: readPath("/#/x/a"), dentry: d("/svc=>/#/x | /#/y"), value: bound("/#/x/a") },
          { kind: "neg", path: Path.empty, dentry: d("/svc=>/#/x | /#/y") },
          { kind: "exception", path: readPath("/#/y/a"), dentry: Dentry.nop, message: "boom" },
        ],
      },
    };
    const back = fromDelegateTree(toDelegateTree(tree), (b) => bound(b.id.show, b.residual.show));
    assert.deepEqual(json(back), json(DelegateTree.simplify(tree)));
  });
});

describe("addresses", () => {
  test("IPs as 4 or 16 bytes and back", () => {
    assert.deepEqual([...(ipBytes("127.1") ?? [])], [127, 0, 0, 1]);
    assert.deepEqual([...(ipBytes("::1") ?? [])], [...new Array(15).fill(0), 1]);
    assert.equal(ipText(ipBytes("2001:db8::8:800:200c:417a") as Uint8Array), "2001:db8::8:800:200c:417a");
    assert.equal(ipBytes("pong"), undefined);
    assert.throws(() => ipText(new Uint8Array(5)), /4 or 16 bytes/);
  });

  test("metadata namerd's IDL knows (authority, nodeName, endpoint_addr_weight) survives; addresses that are not IPs are left out", () => {
    const addr = Addr.bound(
      [Addr.address("10.0.0.1", 80, { endpoint_addr_weight: 2, other: "dropped" }), Addr.address("host", 81)],
      { authority: "web" },
    );
    const back = fromAddrVal({
      kind: "bound",
      value: toBoundAddr(addr.kind === "bound" ? addr.addrs : [], { authority: "web" }),
    });
    assert.deepEqual(Addr.toJSON(back), {
      type: "bound",
      addrs: [{ ip: "10.0.0.1", port: 80, meta: { endpoint_addr_weight: 2 } }],
      meta: { authority: "web" },
    });
    assert.equal(fromAddrVal({ kind: "neg", value: {} }).kind, "neg");
  });
});

function json(t: DelegateTree<BoundName>): unknown {
  return JSON.parse(
    JSON.stringify(t, (_k, v) => (v instanceof BoundName ? v.toString() : v instanceof Path ? v.show : v)),
  );
}
