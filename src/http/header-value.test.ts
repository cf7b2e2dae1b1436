import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkedHeaderValue, HeaderValueError, isHeaderName, isSafeHeaderValue } from "./header-value.ts";

describe("isSafeHeaderValue", () => {
  test("visible ASCII with inner spaces, or empty", () => {
    for (const v of ["", "/svc/web", "1.1 linkerd, 1.0 linkerd", "/a=>/b | ~", "x"])
      assert.ok(isSafeHeaderValue(v), v);
  });

  test("no CR, LF, NUL, other controls, non-ASCII or whitespace at either end", () => {
    for (const v of ["a\r\nb", "a\nb", "a\rb", "a\0b", "a\tb", "\x7f", "ä", " a", "a ", " ", "a\u2028b"]) {
      assert.ok(!isSafeHeaderValue(v), JSON.stringify(v));
    }
  });
});

describe("checkedHeaderValue", () => {
  test("passes a safe value through and throws a typed error otherwise", () => {
    assert.equal(checkedHeaderValue("Via", "1.1 linkerd"), "1.1 linkerd");
    assert.throws(
      () => checkedHeaderValue("l5d-dst-service", "/a\r\nX-Evil: 1"),
      (e: unknown) =>
        e instanceof HeaderValueError && e.header === "l5d-dst-service" && !e.message.includes("\r\n"),
    );
  });
});

describe("isHeaderName", () => {
  test("RFC 9110 tokens only", () => {
    assert.ok(isHeaderName("l5d-name"));
    assert.ok(isHeaderName("X-Custom_1.2"));
    assert.ok(!isHeaderName(""));
    assert.ok(!isHeaderName("a b"));
    assert.ok(!isHeaderName("a:b"));
    assert.ok(!isHeaderName("a\r\n"));
  });
});
