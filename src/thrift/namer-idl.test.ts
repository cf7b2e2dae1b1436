// Byte vectors for namerd's IDL over TBinaryProtocol, written by hand from Apache Thrift's binary protocol spec
// (doc/specs/thrift-binary-protocol.md) and linkerd's namer.thrift field ids, then checked both ways.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Codec } from "./codec.ts";
import { decodeReply, encodeCall, encodeReply } from "./message.ts";
import {
  AddrVal,
  BindReq,
  Bound,
  BoundNode,
  type BoundNode as BoundNodeValue,
  DelegateContents,
  NameRef,
  NamerMethods,
  TransportAddress,
  WeightedNodeId,
} from "./namer-idl.ts";
import { ThriftProtocolError, ThriftReader, ThriftWriter } from "./protocol.ts";

/** Bytes from a spaced hex string; `'text'` stands for the text's ASCII bytes. */
function hex(spec: string): Buffer {
  const parts: Buffer[] = [];
  for (const token of spec.match(/'[^']*'|[0-9a-f]{2}/g) ?? []) {
    parts.push(token.startsWith("'") ? Buffer.from(token.slice(1, -1), "latin1") : Buffer.from(token, "hex"));
  }
  return Buffer.concat(parts);
}

function encode<T>(codec: Codec<T>, value: T): Buffer {
  const w = new ThriftWriter(1);
  codec.write(w, value);
  return w.bytes();
}

function decode<T>(codec: Codec<T>, bytes: Buffer): T {
  const r = new ThriftReader(bytes);
  const v = codec.read(r);
  assert.equal(r.remaining, 0, "every byte consumed");
  return v;
}

const b = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

// NameRef{stamp: "", name: [svc, pong], ns: "default"}:
//   field 1 binary (0b, id 0001), length 0
//   field 2 list (0f, id 0002) of binary (0b), 2 elements, each length-prefixed
//   field 3 string (0b, id 0003) "default"; stop (00)
const NAME_REF = `0b 0001 00000000
  0f 0002 0b 00000002 00000003 'svc' 00000004 'pong'
  0b 0003 00000007 'default'
  00`;

describe("namer.thrift structs on the wire", () => {
  test("NameRef: an empty stamp, a path as a list of binary, the namespace as a string", () => {
    const ref = { stamp: new Uint8Array(0), name: [b("svc"), b("pong")], ns: "default" };
    assert.deepEqual(encode(NameRef, ref), hex(NAME_REF));
    const back = decode(NameRef, hex(NAME_REF));
    assert.equal(back.ns, "default");
    assert.deepEqual(
      back.name.map((x) => Buffer.from(x).toString()),
      ["svc", "pong"],
    );
    assert.equal(back.stamp.length, 0);
  });

  test("BindReq: the dtab as text, the NameRef as a nested struct (0c), the client id path", () => {
    const bytes = hex(`0b 0001 00000012 '/svc=>/#/io.l5d.zk'
      0c 0002 ${NAME_REF}
      0f 0003 0b 00000000
      00`);
    const req = {
      dtab: "/svc=>/#/io.l5d.zk",
      name: { stamp: new Uint8Array(0), name: [b("svc"), b("pong")], ns: "default" },
      clientId: [],
    };
    assert.deepEqual(encode(BindReq, req), bytes);
    assert.equal(decode(BindReq, bytes).dtab, "/svc=>/#/io.l5d.zk");
  });

  test("BoundNode is a union: one field, Void variants as an empty struct", () => {
    // neg = field 1, type struct (0c), Void {} = just its stop byte, then the union's stop.
    assert.deepEqual(encode(BoundNode, { kind: "neg", value: {} }), hex("0c 0001 00 00"));
    assert.deepEqual(encode(BoundNode, { kind: "fail", value: {} }), hex("0c 0003 00 00"));
    // leaf = field 4, BoundName{id: [x], residual: []}
    const leaf = hex("0c 0004 0f 0001 0b 00000001 00000001 'x' 0f 0002 0b 00000000 00 00");
    assert.deepEqual(encode(BoundNode, { kind: "leaf", value: { id: [b("x")], residual: [] } }), leaf);
    const back = decode(BoundNode, leaf);
    assert.equal(back.kind, "leaf");
    // alt = field 5, list<i32> of node ids
    assert.deepEqual(
      encode(BoundNode, { kind: "alt", value: [1, 2] }),
      hex("0f 0005 08 00000002 00000001 00000002 00"),
    );
  });

  test("WeightedNodeId: the weight as an IEEE 754 double, big-endian", () => {
    // 0.5 = 0x3fe0000000000000
    const bytes = hex("04 0001 3fe0000000000000 08 0002 00000002 00");
    assert.deepEqual(encode(WeightedNodeId, { weight: 0.5, id: 2 }), bytes);
    assert.deepEqual(decode(WeightedNodeId, bytes), { weight: 0.5, id: 2 });
  });

  test("Bound: a stamp, a BoundTree whose nodes are a map<i32, BoundNode> (0d, key 08, value 0c)", () => {
    const bytes = hex(`0b 0001 00000008 0000000000000007
      0c 0002
        0c 0001 0f 0005 08 00000001 00000000 00
        0d 0002 08 0c 00000001 00000000 0c 0002 00 00
        00
      0b 0003 00000007 'default'
      00`);
    const bound = {
      stamp: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]),
      tree: {
        root: { kind: "alt", value: [0] },
        nodes: new Map<number, BoundNodeValue>([[0, { kind: "empty", value: {} }]]),
      },
      ns: "default",
    } as const;
    assert.deepEqual(encode(Bound, bound), bytes);
    const back = decode(Bound, bytes);
    assert.deepEqual(back.tree.nodes.get(0), { kind: "empty", value: {} });
  });

  test("TransportAddress: the IP as 4 raw bytes, the port as i32, meta optional and absent", () => {
    const bytes = hex("0b 0001 00000004 7f000001 08 0002 00001f42 00");
    assert.deepEqual(encode(TransportAddress, { ip: new Uint8Array([127, 0, 0, 1]), port: 8002 }), bytes);
    const back = decode(TransportAddress, bytes);
    assert.equal(back.port, 8002);
    assert.equal(back.meta, undefined);
  });

  test("AddrVal bound: a set (0e) of TransportAddress with AddrMeta's optional fields when set", () => {
    const bytes = hex(`0c 0001
        0e 0001 0c 00000001
          0b 0001 00000004 0a000002 08 0002 00000050
          0c 0003 04 0003 4000000000000000 00
          00
        00
      00`);
    const value = {
      kind: "bound",
      value: {
        addresses: [{ ip: new Uint8Array([10, 0, 0, 2]), port: 80, meta: { endpoint_addr_weight: 2 } }],
      },
    } as const;
    assert.deepEqual(encode(AddrVal, value), bytes);
    const back = decode(AddrVal, bytes);
    assert.equal(back.kind, "bound");
    if (back.kind === "bound") assert.equal(back.value.addresses[0]?.meta?.endpoint_addr_weight, 2);
  });

  test("DelegateContents error (field 1, a string) and transformation (field 10)", () => {
    assert.deepEqual(
      encode(DelegateContents, { kind: "error", value: "boom" }),
      hex("0b 0001 00000004 'boom' 00"),
    );
    const t = hex("0c 000a 0c 0001 0f 0001 0b 00000000 0f 0002 0b 00000000 00 08 0002 00000003 00 00");
    assert.deepEqual(
      encode(DelegateContents, {
        kind: "transformation",
        value: { value: { id: [], residual: [] }, tree: 3 },
      }),
      t,
    );
  });
});

describe("Namer service messages", () => {
  test("a bind call: strict header 80 01 00 01, the name, the seqid, then bind_args {1: BindReq}", () => {
    const bytes = encodeCall(NamerMethods.bind, 1, {
      req: { dtab: "", name: { stamp: new Uint8Array(0), name: [b("svc")], ns: "default" }, clientId: [] },
    });
    const expected = hex(`80010001 00000004 'bind' 00000001
      0c 0001
        0b 0001 00000000
        0c 0002 0b 0001 00000000 0f 0002 0b 00000001 00000003 'svc' 0b 0003 00000007 'default' 00
        0f 0003 0b 00000000
        00
      00`);
    assert.deepEqual(bytes, expected);
  });

  test("a reply carrying BindFailure: 80 01 00 02 and field 1 of bind_result", () => {
    const bytes = hex(`80010002 00000004 'bind' 0000002a
      0c 0001
        0b 0001 0000000a 'empty path'
        08 0002 7fffffff
        0c 0003 ${NAME_REF}
        0b 0004 00000007 'default'
        00
      00`);
    const result = decodeReply(NamerMethods.bind, bytes);
    assert.equal(result.success, undefined);
    assert.equal(result.failure?.reason, "empty path");
    assert.equal(result.failure?.retryInSeconds, 2147483647);
    assert.deepEqual(
      encodeReply(NamerMethods.bind, 42, { failure: result.failure }),
      bytes,
      "re-encodes to the same bytes",
    );
  });

  test("a TApplicationException reply (type 3) is thrown with its message and kind", () => {
    const bytes = hex("80010003 00000004 'bind' 00000001 0b 0001 00000003 'bad' 08 0002 00000001 00");
    assert.throws(
      () => decodeReply(NamerMethods.bind, bytes),
      (e: Error & { type?: number }) =>
        e.name === "TApplicationException" && e.message === "bad" && e.type === 1,
    );
  });

  test("the older unversioned header (name length first) is read too", () => {
    // name length 4, "dtab", type 2 (reply), seqid 7; then dtab_result {0: DtabRef{stamp "", dtab "/a=>/b"}}
    const bytes = hex("00000004 'dtab' 02 00000007 0c 0000 0b 0001 00000000 0b 0002 00000006 '/a=>/b' 00 00");
    assert.equal(decodeReply(NamerMethods.dtab, bytes).success?.dtab, "/a=>/b");
  });
});

describe("decoding what a peer should not send", () => {
  test("unknown fields and fields of an unexpected type are skipped", () => {
    // NameRef with an extra i64 field 9, a map field 10 and `ns` sent as an i32 (skipped, so ns falls back to "").
    const bytes = hex(`0a 0009 0000000000000001
      0d 000a 08 0b 00000001 00000001 00000001 'v'
      ${NAME_REF.replace("0b 0003 00000007 'default'", "08 0003 00000005")}`);
    const ref = decode(NameRef, bytes);
    assert.equal(ref.ns, "");
    assert.equal(ref.name.length, 2);
  });

  test("truncated input, negative lengths, two union fields and no union field are protocol errors", () => {
    const full = hex(NAME_REF);
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(
        () => NameRef.read(new ThriftReader(full.subarray(0, cut))),
        ThriftProtocolError,
        `cut ${cut}`,
      );
    }
    assert.throws(() => decode(NameRef, hex("0b 0001 ffffffff 00")), /negative length/);
    assert.throws(() => decode(BoundNode, hex("0c 0001 00 0c 0002 00 00")), /more than one field/);
    assert.throws(() => decode(BoundNode, hex("00")), /no field set/);
  });

  test("oversized containers and deep nesting are refused before allocating", () => {
    const limits = { maxBytes: 1024, maxElements: 100, maxDepth: 8 };
    assert.throws(() => NameRef.read(new ThriftReader(hex("0f 0002 0b 7fffffff"), limits)), /exceeds 100/);
    assert.throws(() => NameRef.read(new ThriftReader(hex("0b 0001 00100000"), limits)), /exceeds 1024/);
    const deep = hex(`${"0c 0001 ".repeat(20)}${"00 ".repeat(21)}`);
    assert.throws(() => NameRef.read(new ThriftReader(deep, limits)), /nesting deeper/);
  });
});
