// Tests of the serverset label syntax (`name:endpoint#shard`) and of znode paths built from labels.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServersetLabel, znodePath } from "./serverset-path.ts";

describe("parseServersetLabel", () => {
  it("reads a bare name", () => {
    assert.deepEqual(parseServersetLabel("pong"), { name: "pong", endpoint: undefined, shard: undefined });
  });

  it("reads an endpoint, a shard, and both", () => {
    assert.deepEqual(parseServersetLabel("pong:http"), { name: "pong", endpoint: "http", shard: undefined });
    assert.deepEqual(parseServersetLabel("pong#3"), { name: "pong", endpoint: undefined, shard: 3 });
    assert.deepEqual(parseServersetLabel("pong:admin#0"), { name: "pong", endpoint: "admin", shard: 0 });
  });

  it("refuses empty parts, repeated separators, and shards that are not non-negative integers", () => {
    for (const bad of [
      "",
      ":http",
      "pong:",
      "pong#",
      "#1",
      "pong:a:b",
      "pong#1#2",
      "pong#x",
      "pong#-1",
      "pong#1:http",
    ]) {
      assert.equal(parseServersetLabel(bad), undefined, bad);
    }
  });
});

describe("znodePath", () => {
  it("joins labels under the root", () => {
    assert.equal(znodePath(["discovery"], "pong"), "/discovery/pong");
    assert.equal(znodePath([], "pong"), "/pong");
  });

  it("refuses labels that cannot be znode names", () => {
    assert.equal(znodePath(["discovery"], ".."), undefined);
    assert.equal(znodePath(["."], "pong"), undefined);
    assert.equal(znodePath(["a/b"], "pong"), undefined);
    assert.equal(znodePath([""], "pong"), undefined);
    assert.equal(znodePath(["discovery"], "po\u0000ng"), undefined);
    assert.equal(znodePath(["discovery"], "po\u001bng"), undefined);
    assert.equal(znodePath(["discovery"], "\u{1f600}"), undefined);
    assert.equal(znodePath(["discovery"], "café"), "/discovery/café");
  });
});
