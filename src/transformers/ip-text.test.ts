// Tests for canonical IP text: one spelling per address, whichever way a namer, an interface or DNS wrote it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalIp } from "./ip-text.ts";

describe("canonicalIp", () => {
  test("IPv4 in dotted and shorthand forms", () => {
    assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
    assert.equal(canonicalIp("127.1"), "127.0.0.1");
  });

  test("IPv6 compressed, lower case, without brackets or zone", () => {
    assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonicalIp("[::1]"), "::1");
    assert.equal(canonicalIp("FE80:0:0:0:0:0:0:1%eth0"), "fe80::1");
    assert.equal(canonicalIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  });

  test("an IPv4-mapped IPv6 address is its IPv4 address", () => {
    assert.equal(canonicalIp("::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(canonicalIp("::FFFF:a00:1"), "10.0.0.1");
  });

  test("anything else is not an IP", () => {
    assert.equal(canonicalIp("localhost"), undefined);
    assert.equal(canonicalIp(""), undefined);
    assert.equal(canonicalIp("1.2.3.4.5"), undefined);
    assert.equal(canonicalIp("::g"), undefined);
  });
});
