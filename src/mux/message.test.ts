// Byte vectors for mux messages, written by hand from the protocol description in Finagle's mux package
// documentation (`size:4 type:1 tag:3 body`, type numbers from Message.Types), then checked both ways.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FrameDecoder, fragmentFrame } from "./framing.ts";
import { decodeMessage, encodeFrame, type MuxMessage, MuxProtocolError } from "./message.ts";
import { hex } from "./testkit.ts";

/** Decodes one whole frame (size prefix included). */
function decodeFrame(frame: Buffer): MuxMessage {
  const frames = new FrameDecoder(1 << 20).push(frame);
  assert.equal(frames.length, 1);
  const f = frames[0] as { typeByte: number; tag: number; body: Buffer };
  return decodeMessage(f.typeByte, f.tag, f.body);
}

const b = (s: string) => Buffer.from(s, "latin1");

/** [what, message, its frame] — the frames computed by hand from the spec. */
const VECTORS: [string, MuxMessage, string][] = [
  ["Tping: type 65 (0x41), tag 1, no body", { type: "Tping", tag: 1 }, "00000004 41 000001"],
  ["Rping: type -65 (0xbf)", { type: "Rping", tag: 1 }, "00000004 bf 000001"],
  ["Tdrain: type 64 (0x40)", { type: "Tdrain", tag: 1 }, "00000004 40 000001"],
  ["Rdrain: type -64 (0xc0)", { type: "Rdrain", tag: 1 }, "00000004 c0 000001"],
  [
    "Tinit: version:2 then (key~4 value~4)*, here mux-framer = 0x7fffffff",
    { type: "Tinit", tag: 1, version: 1, headers: [[b("mux-framer"), hex("7fffffff")]] },
    "0000001c 44 000001 0001 0000000a 'mux-framer' 00000004 7fffffff",
  ],
  [
    "Rinit: type -68 (0xbc), no headers",
    { type: "Rinit", tag: 1, version: 1, headers: [] },
    "00000006 bc 000001 0001",
  ],
  [
    "Rerr: sent as the old alias 127 (0x7f), the body is the reason in UTF-8",
    { type: "Rerr", tag: 1, why: "tinit check" },
    "0000000f 7f 000001 'tinit check'",
  ],
  [
    "Tdispatch: nc:2 (ckey~2 cval~2) dst~2 nd:2 (from~2 to~2) body",
    {
      type: "Tdispatch",
      tag: 2,
      contexts: [[b("k"), b("v")]],
      dst: "/s",
      dtab: [{ prefix: "/a", dst: "/b" }],
      body: hex("abcd"),
    },
    "0000001c 02 000002 0001 0001 'k' 0001 'v' 0002 '/s' 0001 0002 '/a' 0002 '/b' abcd",
  ],
  [
    "Tdispatch with no contexts, no destination and no dtab (what a ThriftMux client sends)",
    { type: "Tdispatch", tag: 2, contexts: [], dst: "", dtab: [], body: hex("80010001") },
    "0000000e 02 000002 0000 0000 0000 80010001",
  ],
  [
    "Rdispatch OK: status:1 nctx:2 body, type -2 (0xfe)",
    { type: "Rdispatch", tag: 2, status: 0, contexts: [], body: hex("abcd") },
    "00000009 fe 000002 00 0000 abcd",
  ],
  [
    "Rdispatch Nack: status 2, empty body",
    { type: "Rdispatch", tag: 2, status: 2, contexts: [], body: Buffer.alloc(0) },
    "00000007 fe 000002 02 0000",
  ],
  [
    "Tdiscarded: a marker (tag 0), which:3, why; sent as the old alias -62 (0xc2)",
    { type: "Tdiscarded", tag: 0, which: 2, why: "bye" },
    "0000000a c2 000000 000002 'bye'",
  ],
  ["Rdiscarded: type -66 (0xbe)", { type: "Rdiscarded", tag: 2 }, "00000004 be 000002"],
  [
    "Tlease: a marker, unit:1 (0 = milliseconds), howmuch:8",
    { type: "Tlease", tag: 0, unit: 0, howMuch: 10000n },
    "0000000d 43 000000 00 0000000000002710",
  ],
  [
    "Treq: n:1 (key:1 value~1){n} body",
    { type: "Treq", tag: 3, keys: [{ key: 2, value: hex("01") }], body: hex("ff") },
    "00000009 01 000003 01 02 01 01 ff",
  ],
  [
    "Rreq OK: status:1 body, type -1 (0xff)",
    { type: "Rreq", tag: 3, status: 0, body: hex("ff") },
    "00000006 ff 000003 00 ff",
  ],
];

describe("mux message frames", () => {
  for (const [what, message, frame] of VECTORS) {
    test(what, () => {
      assert.deepEqual(encodeFrame(message), hex(frame), "encodes to the spec's bytes");
      const back = decodeFrame(hex(frame));
      assert.deepEqual(normalize(back), normalize(message), "decodes back to the message");
    });
  }

  test("the new type numbers for Rerr (-128, 0x80) and Tdiscarded (66, 0x42) decode too", () => {
    assert.deepEqual(decodeFrame(hex("00000007 80 000005 'bad'")), { type: "Rerr", tag: 5, why: "bad" });
    assert.deepEqual(decodeFrame(hex("00000008 42 000000 000007 'x'")), {
      type: "Tdiscarded",
      tag: 0,
      which: 7,
      why: "x",
    });
  });

  test("an unknown type is kept with its bytes so that a T message can be refused", () => {
    assert.deepEqual(normalize(decodeFrame(hex("00000005 05 000009 aa"))), {
      type: "Unknown",
      typeByte: 5,
      tag: 9,
      body: [0xaa],
    });
  });

  test("short bodies and bad statuses are protocol errors", () => {
    assert.throws(() => decodeFrame(hex("00000006 02 000002 0001")), MuxProtocolError);
    assert.throws(() => decodeFrame(hex("00000007 fe 000002 07 0000")), /invalid Rdispatch status 7/);
    assert.throws(() => decodeFrame(hex("00000007 43 000000 00 0000")), MuxProtocolError);
  });
});

describe("framing", () => {
  test("frames split anywhere across chunks come out whole and in order", () => {
    const stream = Buffer.concat([hex("00000004 41 000001"), hex("00000009 fe 000002 00 0000 abcd")]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(1024);
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.typeByte, f.tag, [...f.body]]),
        [
          [65, 1, []],
          [-2, 2, [0, 0, 0, 0xab, 0xcd]],
        ],
        `cut at ${cut}`,
      );
    }
  });

  test("fragments (tag top bit set) are joined with the final frame (top bit clear) of the same tag", () => {
    // Rdispatch tag 2, body 00 0000 abcd (5 bytes) in fragments of at most 3 bytes: tags 0x800002, then 0x000002.
    const whole = encodeFrame({ type: "Rdispatch", tag: 2, status: 0, contexts: [], body: hex("abcd") });
    const pieces = fragmentFrame(whole, 3);
    assert.deepEqual(pieces, [hex("00000007 fe 800002 000000"), hex("00000006 fe 000002 abcd")]);
    // Interleaved with a ping, as the spec allows between fragments.
    const d = new FrameDecoder(1024);
    const frames = d.push(
      Buffer.concat([pieces[0] as Buffer, hex("00000004 41 000001"), pieces[1] as Buffer]),
    );
    assert.deepEqual(
      frames.map((f) => [f.typeByte, f.tag, [...f.body]]),
      [
        [65, 1, []],
        [-2, 2, [0, 0, 0, 0xab, 0xcd]],
      ],
    );
  });

  test("a frame or a reassembly bigger than the limit is refused before it is buffered", () => {
    assert.throws(() => new FrameDecoder(100).push(hex("00100000 02")), /exceeds the limit of 100/);
    assert.throws(() => new FrameDecoder(100).push(hex("00000002 41 00")), /smaller than its header/);
    const d = new FrameDecoder(10);
    d.push(hex("0000000a 02 800002 000000000000"));
    assert.throws(() => d.push(hex("0000000a 02 800002 000000000000")), /fragmented message exceeds/);
  });
});

/** Buffers as byte arrays, so deepEqual compares contents. */
function normalize(m: unknown): unknown {
  return JSON.parse(
    JSON.stringify(m, (_k, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v && typeof v === "object" && v.type === "Buffer" && Array.isArray(v.data)) return v.data;
      return v;
    }),
  );
}
