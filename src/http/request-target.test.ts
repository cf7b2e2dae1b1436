import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dropSegments, pathSegments, splitTarget } from "./request-target.ts";

describe("splitTarget", () => {
  test("path, query and fragment, each keeping its marker", () => {
    assert.deepEqual(splitTarget("/a/b?x=1#f"), { path: "/a/b", query: "?x=1", fragment: "#f" });
    assert.deepEqual(splitTarget("/a"), { path: "/a", query: "", fragment: "" });
    assert.deepEqual(splitTarget("/a#f?not-a-query"), { path: "/a", query: "", fragment: "#f?not-a-query" });
    assert.deepEqual(splitTarget("/a?x=/b?c"), { path: "/a", query: "?x=/b?c", fragment: "" });
  });
});

describe("pathSegments", () => {
  test("the non-empty raw segments of the path only", () => {
    assert.deepEqual(pathSegments("/mysvc/subsvc/some/path?other=stuff"), [
      "mysvc",
      "subsvc",
      "some",
      "path",
    ]);
    assert.deepEqual(pathSegments("//a//b/?x=/y/z"), ["a", "b"]);
    assert.deepEqual(pathSegments("/a%2Fb/c"), ["a%2Fb", "c"]);
    assert.deepEqual(pathSegments("/"), []);
    assert.deepEqual(pathSegments("*"), []);
    assert.deepEqual(pathSegments("/?x=1"), []);
  });
});

describe("dropSegments", () => {
  test("Linkerd's golden cases", () => {
    assert.equal(dropSegments("/mysvc/subsvc/some/path?other=stuff", 2), "/some/path?other=stuff");
    assert.equal(dropSegments("/mysvc/subsvc", 2), "/");
  });

  test("keeps a trailing slash, the query and the fragment", () => {
    assert.equal(dropSegments("/a/b/c/", 2), "/c/");
    assert.equal(dropSegments("/a/b/", 2), "/");
    assert.equal(dropSegments("/a/b?x=1", 2), "/?x=1");
    assert.equal(dropSegments("/a/b/?x=1", 2), "/?x=1");
    assert.equal(dropSegments("/a/b/c?x=/d#e", 1), "/b/c?x=/d#e");
  });

  test("empty segments among the dropped ones go too; the rest is kept verbatim", () => {
    assert.equal(dropSegments("//a//b//c", 2), "//c");
    assert.equal(dropSegments("/a//b", 1), "//b");
  });

  test("too few segments", () => {
    assert.equal(dropSegments("/a", 2), undefined);
    assert.equal(dropSegments("/", 1), undefined);
    assert.equal(dropSegments("*", 1), undefined);
  });
});
