// Tests of resolving admin `?q=` queries, including keys that contain `/`.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MetricsNode } from "./metrics-tree.ts";
import { resolveQuery } from "./query.ts";

function tree(...paths: string[][]): MetricsNode {
  const root = new MetricsNode();
  for (const path of paths) root.resolve(path);
  return root;
}

const at = (root: MetricsNode, q: string) => resolveQuery(root, q)?.path;

describe("resolveQuery", () => {
  const root = tree(
    ["rt", "http", "server", "127.0.0.1/4140", "requests"],
    ["rt", "http", "client", "#/io.l5d.fs/web", "service", "svc/web", "requests"],
    ["rt", "http", "client", "$/inet/127.1/8080", "requests"],
  );

  test("plain segments", () => {
    assert.deepEqual(at(root, "rt/http"), ["rt", "http"]);
    assert.deepEqual(at(root, "rt"), ["rt"]);
  });

  test("keys that contain / (Linkerd could not find these)", () => {
    assert.deepEqual(at(root, "rt/http/server/127.0.0.1/4140/requests"), [
      "rt",
      "http",
      "server",
      "127.0.0.1/4140",
      "requests",
    ]);
    assert.deepEqual(at(root, "rt/http/client/#/io.l5d.fs/web/service/svc/web"), [
      "rt",
      "http",
      "client",
      "#/io.l5d.fs/web",
      "service",
      "svc/web",
    ]);
    assert.deepEqual(at(root, "rt/http/client/$/inet/127.1/8080"), [
      "rt",
      "http",
      "client",
      "$/inet/127.1/8080",
    ]);
  });

  test("backtracks when the shortest key leads nowhere", () => {
    const r = tree(["a", "b"], ["a/b", "c"]);
    assert.deepEqual(at(r, "a/b/c"), ["a/b", "c"]);
    assert.deepEqual(at(r, "a/b"), ["a", "b"], "shortest first");
  });

  test("trailing slashes are ignored; an empty query is the whole tree", () => {
    assert.deepEqual(at(root, "rt/http/"), ["rt", "http"]);
    assert.equal(resolveQuery(root, ""), root);
  });

  test("unknown paths find nothing", () => {
    assert.equal(at(root, "rt/https"), undefined);
    assert.equal(at(root, "rt/http/server/127.0.0.1"), undefined);
    assert.equal(at(root, "/rt/http"), undefined);
  });
});
