// Tests of the metrics tree's nodes: lookup, keys containing `/`, order and removal.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Counter } from "./metric.ts";
import { MetricsNode } from "./metrics-tree.ts";

describe("MetricsNode", () => {
  test("resolve() makes missing nodes; find() only finds", () => {
    const root = new MetricsNode();
    assert.equal(root.find(["a", "b"]), undefined);
    const b = root.resolve(["a", "b"]);
    assert.equal(root.find(["a", "b"]), b);
    assert.equal(root.resolve(["a", "b"]), b);
    assert.equal(root.find([]), root);
    assert.deepEqual(b.path, ["a", "b"]);
    assert.equal(b.parent?.name, "a");
  });

  test("a segment containing / is one key", () => {
    const root = new MetricsNode();
    const n = root.resolve(["server", "127.0.0.1/4140"]);
    assert.deepEqual([...root.child("server")!.children!.keys()], ["127.0.0.1/4140"]);
    assert.equal(root.find(["server", "127.0.0.1", "4140"]), undefined);
    assert.deepEqual(n.path, ["server", "127.0.0.1/4140"]);
  });

  test("leaves allocate no child map; children keep insertion order", () => {
    const root = new MetricsNode();
    root.resolve(["z"]);
    root.resolve(["a"]);
    root.resolve(["m"]);
    assert.deepEqual([...root.children!.keys()], ["z", "a", "m"]);
    assert.equal(root.child("z")!.children, undefined);
  });

  test("remove() detaches the subtree and every ancestor it leaves empty, never the root", () => {
    const root = new MetricsNode();
    const x = root.resolve(["rt", "http", "client", "x"]);
    x.resolve(["requests"]).metric = new Counter();
    root.resolve(["rt", "http", "server", "s"]).metric = new Counter();
    x.remove();
    assert.equal(x.parent, undefined);
    assert.equal(root.find(["rt", "http", "client"]), undefined, "client/ is empty, so it goes too");
    assert.ok(root.find(["rt", "http", "server", "s"]));
    root.find(["rt", "http", "server", "s"])!.remove();
    assert.equal(root.children, undefined);
    assert.ok(root.isEmpty);
  });

  test("remove() keeps an ancestor that holds a metric", () => {
    const root = new MetricsNode();
    root.resolve(["failures"]).metric = new Counter();
    const exn = root.resolve(["failures", "Timeout"]);
    exn.metric = new Counter();
    exn.remove();
    assert.ok(root.find(["failures"]));
    assert.equal(root.find(["failures"])!.children, undefined);
  });

  test("forEachMetric visits parents before children, in order", () => {
    const root = new MetricsNode();
    for (const path of [["b"], ["a", "y"], ["a"], ["a", "x"]]) root.resolve(path).metric = new Counter();
    const seen: string[] = [];
    root.forEachMetric((_, node) => seen.push(node.path.join("/")));
    assert.deepEqual(seen, ["b", "a", "a/y", "a/x"]);
  });
});
