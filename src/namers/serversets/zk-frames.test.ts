// The ZooKeeper frame splitter: frames whole, split over reads at every byte, many per read, empty, and bad lengths.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { FrameSplitter } from "./zk-frames.ts";

function framed(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** Feeds `reads` and returns the frames handed out, as hex. */
function split(reads: readonly Buffer[]): string[] {
  const s = new FrameSplitter();
  const out: string[] = [];
  for (const r of reads) assert.ok(s.push(r, (f) => out.push(f.toString("hex"))));
  return out;
}

describe("FrameSplitter", () => {
  const frames = [
    Buffer.from("hello"),
    Buffer.alloc(0),
    Buffer.from("a longer frame, 31 bytes long.."),
    Buffer.from("x"),
  ];
  const stream = Buffer.concat(frames.map(framed));
  const expected = frames.map((f) => framed(f).toString("hex"));

  test("hands out every frame of one read, without copying", () => {
    const seen: Buffer[] = [];
    new FrameSplitter().push(stream, (f) => seen.push(f));
    assert.deepEqual(
      seen.map((f) => f.toString("hex")),
      expected,
    );
    assert.ok(
      seen.every((f) => f.buffer === stream.buffer),
      "views of the read",
    );
  });

  test("joins frames split over reads, wherever the reads are cut", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(split([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
    }
    assert.deepEqual(split([...stream].map((b) => Buffer.from([b]))), expected, "one byte per read");
  });

  test("holds an incomplete frame until the rest comes", () => {
    const s = new FrameSplitter();
    const out: Buffer[] = [];
    s.push(stream.subarray(0, 7), (f) => out.push(f));
    assert.equal(out.length, 0);
    assert.equal(s.pending, 7);
    s.push(stream.subarray(7, 9), (f) => out.push(f));
    assert.equal(out.length, 1, "hello is complete at byte 9");
    assert.equal(s.pending, 0);
  });

  test("refuses a negative length", () => {
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(-1, 0);
    assert.equal(
      new FrameSplitter().push(bad, () => {}),
      false,
    );
  });

  test("any cutting of any frames gives the frames back (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (bodies, cuts) => {
          const all = Buffer.concat(bodies.map((b) => framed(Buffer.from(b))));
          const points = [...new Set(cuts.map((c) => (all.length === 0 ? 0 : c % all.length)))].sort(
            (a, b) => a - b,
          );
          const reads: Buffer[] = [];
          let at = 0;
          for (const p of [...points, all.length]) {
            reads.push(all.subarray(at, p));
            at = p;
          }
          assert.deepEqual(
            split(reads),
            bodies.map((b) => framed(Buffer.from(b)).toString("hex")),
          );
        },
      ),
    );
  });
});
