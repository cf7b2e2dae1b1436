// Tests of the resumable tree walk: order, contexts, chunking and changes while paused.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MetricsNode } from "./metrics-tree.ts";
import { joinChunks, type Output, type Visitor, walk } from "./walk.ts";

function tree(...paths: string[][]): MetricsNode {
  const root = new MetricsNode();
  for (const path of paths) root.resolve(path);
  return root;
}

/** Writes `(name` on enter and `)` on leave, with each node's sibling index and its parent's path. */
function tracer(out: Output): Visitor<string> {
  return {
    enter(node, parent, index) {
      out.text += `(${index}:${node.name}`;
      return `${parent}/${node.name}`;
    },
    leave() {
      out.text += ")";
    },
  };
}

describe("walk", () => {
  test("visits every node below the top, parents first, leaving after children", () => {
    const root = tree(["a", "x"], ["a", "y"], ["b"]);
    const out: Output = { text: "" };
    assert.deepEqual([...walk(root, "", tracer(out), out, Number.POSITIVE_INFINITY)], []);
    assert.equal(out.text, "(0:a(0:x)(1:y))(1:b)");
  });

  test("deep subtrees (visited by recursion) come out the same as shallow ones", () => {
    const root = tree(["1", "2", "3", "4", "5", "6"], ["1", "2", "3", "4", "7"], ["1", "8"]);
    const out: Output = { text: "" };
    for (const _ of walk(root, "", tracer(out), out, Number.POSITIVE_INFINITY));
    assert.equal(out.text, "(0:1(0:2(0:3(0:4(0:5(0:6))(1:7))))(1:8))");
  });

  test("contexts flow from parent to child", () => {
    const root = tree(["a", "b", "c", "d", "e"]);
    const paths: string[] = [];
    const visitor: Visitor<string> = {
      enter(node, parent) {
        const path = `${parent}/${node.name}`;
        paths.push(path);
        return path;
      },
    };
    for (const _ of walk(root, "", visitor, { text: "" }, 1));
    assert.deepEqual(paths, ["/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e"]);
  });

  test("hands out chunks as the text grows, leaving the rest for the caller", () => {
    const root = tree(...Array.from({ length: 10 }, (_, i) => [`n${i}`]));
    const out: Output = { text: "" };
    const chunks = [...walk(root, "", tracer(out), out, 12)];
    assert.ok(chunks.length >= 3);
    for (const chunk of chunks) assert.ok(chunk.length >= 12);
    assert.equal(chunks.join("") + out.text, "(0:n0)(1:n1)(2:n2)(3:n3)(4:n4)(5:n5)(6:n6)(7:n7)(8:n8)(9:n9)");
  });

  test("a paused walk sees children added and skips children removed meanwhile", () => {
    const root = tree(["a"], ["b"], ["c"]);
    const out: Output = { text: "" };
    const steps = walk(root, "", tracer(out), out, 1);
    const chunks = [steps.next().value];
    root.find(["b"])!.remove();
    root.resolve(["d"]);
    for (let step = steps.next(); step.done !== true; step = steps.next()) chunks.push(step.value);
    assert.deepEqual(chunks, ["(0:a)", "(1:c)", "(2:d)"]);
  });

  test("a top without children gives nothing", () => {
    const out: Output = { text: "" };
    assert.deepEqual([...walk(new MetricsNode(), "", tracer(out), out, 1)], []);
    assert.equal(out.text, "");
  });

  test("joinChunks concatenates", () => {
    assert.equal(joinChunks(["a", "b", "c"]), "abc");
    assert.equal(joinChunks([]), "");
  });
});
