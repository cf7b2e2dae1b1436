import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { DEFAULT_ERR_HEADER_MAX, decodeErrHeader, encodeErrHeader } from "./err-header.ts";
import { isSafeHeaderValue } from "./header-value.ts";

describe("encodeErrHeader", () => {
  test("as Java's URLEncoder with ISO-8859-1 (what Linkerd writes)", () => {
    assert.equal(encodeErrHeader("abc XYZ 019 .-*_"), "abc+XYZ+019+.-*_");
    assert.equal(
      encodeErrHeader('Unknown destination: Request("GET /", from /127.0.0.1:4140) / no ~ here!'),
      "Unknown+destination%3A+Request%28%22GET+%2F%22%2C+from+%2F127.0.0.1%3A4140%29+%2F+no+%7E+here%21",
    );
    assert.equal(encodeErrHeader("a\r\nb\tc%"), "a%0D%0Ab%09c%25");
    assert.equal(encodeErrHeader("ä ÿ"), "%E4+%FF");
  });

  test("what ISO-8859-1 cannot hold becomes %3F, once per character", () => {
    assert.equal(encodeErrHeader("€"), "%3F");
    assert.equal(encodeErrHeader("x😀y"), "x%3Fy");
    assert.equal(encodeErrHeader("\ud800"), "%3F");
  });

  test("cut at the limit, never inside an escape", () => {
    assert.equal(encodeErrHeader("abcdef", 4), "abcd");
    assert.equal(encodeErrHeader("ab/cd", 4), "ab");
    assert.equal(encodeErrHeader("ab/cd", 5), "ab%2F");
    assert.equal(encodeErrHeader("x".repeat(10_000)).length, DEFAULT_ERR_HEADER_MAX);
  });
});

describe("decodeErrHeader", () => {
  test("the inverse for anything ISO-8859-1 holds", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) }),
        (s) => {
          const encoded = encodeErrHeader(s, Number.POSITIVE_INFINITY);
          assert.ok(isSafeHeaderValue(encoded));
          assert.equal(decodeErrHeader(encoded), s);
        },
      ),
    );
  });

  test("any message encodes to a safe header value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer({ min: 0, max: 64 }), (s, max) => {
        const encoded = encodeErrHeader(s, max);
        assert.ok(isSafeHeaderValue(encoded));
        assert.ok(encoded.length <= max);
      }),
    );
  });
});
