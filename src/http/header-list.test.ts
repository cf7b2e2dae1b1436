// Unit tests of HeaderList's case-insensitive look-ups and of the memo of lower-cased names behind them.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList, lowerCaseName } from "./header-list.ts";

describe("lowerCaseName", () => {
  test("lower-cases names, the same on every call, however many distinct names pass through", () => {
    for (let round = 0; round < 3; round++) {
      assert.equal(lowerCaseName("Content-Length"), "content-length");
      assert.equal(lowerCaseName("X-Request-Id"), "x-request-id");
      assert.equal(lowerCaseName("host"), "host");
    }
    // More distinct names than the memo holds, and names longer than it keeps: still right.
    for (let i = 0; i < 2000; i++) assert.equal(lowerCaseName(`X-Name-${i}`), `x-name-${i}`);
    const long = `X-${"Long".repeat(40)}`;
    assert.equal(lowerCaseName(long), long.toLowerCase());
    assert.equal(lowerCaseName("Via"), "via");
  });
});

describe("HeaderList", () => {
  test("finds, replaces and deletes lines whatever the case of the name", () => {
    const h = new HeaderList(["Host", "a", "X-One", "1", "x-one", "2"]);
    assert.equal(h.get("HOST"), "a");
    assert.deepEqual(h.getAll("X-ONE"), ["1", "2"]);
    assert.equal(h.count("x-One"), 2);
    h.set("X-One", "3");
    assert.deepEqual(h.toRaw(), ["Host", "a", "X-One", "3"]);
    assert.equal(h.delete("HOST"), 1);
    assert.equal(h.has("host"), false);
    h.add("Via", "1.1 linkerd");
    assert.equal(h.toHead("GET / HTTP/1.1"), "GET / HTTP/1.1\r\nX-One: 3\r\nVia: 1.1 linkerd\r\n\r\n");
  });

  test("takeNamed removes the named lines in one pass and says which names went, each once, in order", () => {
    const h = new HeaderList([
      "Keep-Alive",
      "5",
      "Host",
      "a",
      "Connection",
      "close",
      "keep-alive",
      "6",
      "X",
      "1",
    ]);
    assert.deepEqual(h.takeNamed(new Set(["connection", "keep-alive"])), ["keep-alive", "connection"]);
    assert.deepEqual(h.toRaw(), ["Host", "a", "X", "1"]);
    assert.equal(h.get("x"), "1", "look-ups still find the lines that stayed");
    assert.deepEqual(h.takeNamed(new Set(["te"])), []);
  });
});
