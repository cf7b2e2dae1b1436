// The Namer service on a real namerd core (in-memory store, built-in namers), called through the ThriftMux
// handler so that every request and reply goes through the IDL's encoding both ways.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type Dispatcher, served, ThriftMuxClient, thriftMuxHandler } from "../../../mux/thriftmux.ts";
import { NameTree, Path, readDtab } from "../../../naming/index.ts";
import { fromBoundTree, fromDelegateTree, toTPath } from "../../../thrift/namer-convert.ts";
import { NamerMethods } from "../../../thrift/namer-idl.ts";
import { Namerd } from "../../namerd-core.ts";
import { InMemoryDtabStore } from "../../stores/in-memory-store.ts";
import { NamerService } from "./namer-service.ts";

const EMPTY = new Uint8Array(0);

function setup() {
  const store = new InMemoryDtabStore(new Map([["default", readDtab("/svc=>/$/inet/127.1/8002")]]));
  const core = new Namerd({ store });
  const cache = { capacity: 100, idleTtlMs: 60_000, now: () => performance.now() };
  const service = new NamerService({ core, bindCache: cache, addrCache: cache });
  const handler = thriftMuxHandler([
    served(NamerMethods.bind, service.bind),
    served(NamerMethods.addr, service.addr),
    served(NamerMethods.dtab, service.dtab),
    served(NamerMethods.delegate, service.delegate),
  ]);
  const dispatcher: Dispatcher = {
    dispatch: (body, signal) =>
      handler({ body, contexts: [], dst: "", dtab: [], signal: signal ?? new AbortController().signal }),
  };
  const client = new ThriftMuxClient(dispatcher);
  cleanups.push(() => {
    service.close();
    core.close();
  });
  return { core, client };
}

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

const ref = (path: string, stamp: Uint8Array = EMPTY, ns = "default") => ({
  stamp,
  name: toTPath(Path.utf8(...path.split("/").filter(Boolean))),
  ns,
});

describe("Namer.bind", () => {
  test("binds through the namespace's dtab, then long-polls: a dtab change answers the held request", async () => {
    const { core, client } = setup();
    const first = await client.call(NamerMethods.bind, {
      req: { dtab: "", name: ref("/svc/pong"), clientId: [] },
    });
    assert.ok(first.success, "bound");
    const tree = fromBoundTree(first.success.tree);
    assert.equal(
      NameTree.show(tree, (b) => b.id.show),
      "/$/inet/127.1/8002",
    );
    assert.equal(first.success.ns, "default");
    const held = client.call(NamerMethods.bind, {
      req: { dtab: "", name: ref("/svc/pong", first.success.stamp), clientId: [] },
    });
    await core.put("default", readDtab("/svc=>/$/inet/127.1/9002"));
    const second = await held;
    assert.ok(second.success);
    assert.equal(
      NameTree.show(fromBoundTree(second.success.tree), (b) => b.id.show),
      "/$/inet/127.1/9002",
    );
    assert.notDeepEqual(second.success.stamp, first.success.stamp);
  });

  test("the request's dtab comes after the namespace's; an empty path is refused for good", async () => {
    const { client } = setup();
    const r = await client.call(NamerMethods.bind, {
      req: { dtab: "/svc/pong=>/$/inet/127.1/7002", name: ref("/svc/pong"), clientId: [] },
    });
    assert.equal(
      NameTree.show(fromBoundTree(r.success!.tree), (b) => b.id.show),
      "/$/inet/127.1/7002",
    );
    const empty = await client.call(NamerMethods.bind, { req: { dtab: "", name: ref("/"), clientId: [] } });
    assert.equal(empty.failure?.reason, "empty path");
    assert.equal(empty.failure?.retryInSeconds, 0x7fffffff);
    const bad = await client.call(NamerMethods.bind, {
      req: { dtab: "/a=>", name: ref("/a"), clientId: [] },
    });
    assert.match(String(bad.failure?.reason), /expected/);
  });

  test("a name nothing matches binds to Neg, which is an answer like any other", async () => {
    const { client } = setup();
    const r = await client.call(NamerMethods.bind, {
      req: { dtab: "", name: ref("/nowhere"), clientId: [] },
    });
    assert.deepEqual(r.success?.tree.root, { kind: "neg", value: {} });
  });

  test("a namespace that does not exist binds with an empty dtab, as namerd (and the HTTP bind) does", async () => {
    const { core, client } = setup();
    const missing = await client.call(NamerMethods.bind, {
      req: { dtab: "", name: ref("/svc/pong", EMPTY, "nope"), clientId: [] },
    });
    assert.deepEqual(missing.success?.tree.root, { kind: "neg", value: {} });
    // The request's own dtab still binds: only the namespace's part is empty.
    const local = await client.call(NamerMethods.bind, {
      req: { dtab: "/svc=>/$/inet/127.1/7002", name: ref("/svc/pong", EMPTY, "nope"), clientId: [] },
    });
    assert.equal(
      NameTree.show(fromBoundTree(local.success!.tree), (b) => b.id.show),
      "/$/inet/127.1/7002",
    );
    // Created with a dtab that still leaves the name Neg: the same tree, but a held request is answered (a new
    // stamp), so a client that blamed the missing namespace learns that it exists now.
    const held = client.call(NamerMethods.bind, {
      req: { dtab: "", name: ref("/svc/pong", missing.success!.stamp, "nope"), clientId: [] },
    });
    await core.create("nope", readDtab("/other=>/$/inet/127.1/1"));
    const created = await held;
    assert.deepEqual(created.success?.tree.root, { kind: "neg", value: {} });
    assert.notDeepEqual(created.success?.stamp, missing.success?.stamp);
  });
});

describe("Namer.addr", () => {
  test("a bound id's addresses as 4-byte IPs and ports; an id no namer knows is Neg", async () => {
    const { client } = setup();
    const r = await client.call(NamerMethods.addr, {
      req: { name: ref("/$/inet/127.1/8002"), clientId: [] },
    });
    assert.equal(r.success?.value.kind, "bound");
    if (r.success?.value.kind === "bound") {
      assert.deepEqual(
        r.success.value.value.addresses.map((a) => [[...a.ip], a.port]),
        [[[127, 0, 0, 1], 8002]],
      );
    }
    const neg = await client.call(NamerMethods.addr, { req: { name: ref("/#/nothing/here"), clientId: [] } });
    assert.equal(neg.success?.value.kind, "neg");
  });
});

describe("Namer.dtab", () => {
  test("the namespace's dtab text, long-polled; a missing namespace is a DtabFailure", async () => {
    const { core, client } = setup();
    const first = await client.call(NamerMethods.dtab, {
      req: { stamp: EMPTY, ns: "default", clientId: [] },
    });
    assert.equal(first.success?.dtab, "/svc=>/$/inet/127.1/8002");
    const held = client.call(NamerMethods.dtab, {
      req: { stamp: first.success!.stamp, ns: "default", clientId: [] },
    });
    await core.put("default", readDtab("/svc=>/#/io.l5d.fs"));
    assert.equal((await held).success?.dtab, "/svc=>/#/io.l5d.fs");
    const missing = await client.call(NamerMethods.dtab, { req: { stamp: EMPTY, ns: "nope", clientId: [] } });
    assert.equal(missing.failure?.reason, "dtab namespace nope does not exist");
  });
});

describe("Namer.delegate", () => {
  test("explains a binding as a node table the client reads back into the same tree", async () => {
    const { client } = setup();
    const r = await client.call(NamerMethods.delegate, {
      req: {
        dtab: "",
        delegation: {
          stamp: EMPTY,
          tree: {
            root: {
              path: toTPath(Path.utf8("svc", "pong")),
              dentry: "",
              contents: { kind: "pathLeaf", value: toTPath(Path.utf8("svc", "pong")) },
            },
            nodes: new Map(),
          },
          ns: "default",
        },
        clientId: [],
      },
    });
    assert.ok(r.success, String(r.failure?.reason));
    assert.ok(r.success.stamp.length > 0, "a non-empty stamp, as clients expect");
    const tree = fromDelegateTree(r.success.tree, (b) => b.id.show);
    assert.equal(tree.kind, "delegate");
    assert.equal(tree.path.show, "/svc/pong");
    if (tree.kind === "delegate") {
      assert.equal(tree.tree.kind, "leaf");
      assert.equal(tree.tree.kind === "leaf" ? tree.tree.value : "", "/$/inet/127.1/8002");
      assert.equal(
        tree.tree.dentry.show,
        "/svc=>/$/inet/127.1/8002",
        "the leaf carries the dentry that led there",
      );
    }
  });
});
