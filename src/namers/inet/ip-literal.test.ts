import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseIPv4, parseIpLiteral, parsePort } from "./ip-literal.ts";

describe("parseIPv4", () => {
  test("a dotted quad is itself", () => {
    assert.equal(parseIPv4("127.0.0.1"), "127.0.0.1");
    assert.equal(parseIPv4("10.20.30.40"), "10.20.30.40");
    assert.equal(parseIPv4("0.0.0.0"), "0.0.0.0");
    assert.equal(parseIPv4("255.255.255.255"), "255.255.255.255");
  });

  test("the short forms inet_aton accepts: the last part fills the remaining bytes", () => {
    assert.equal(parseIPv4("127.1"), "127.0.0.1");
    assert.equal(parseIPv4("10.1.2"), "10.1.0.2");
    assert.equal(parseIPv4("10.65535"), "10.0.255.255");
    assert.equal(parseIPv4("1.2.258"), "1.2.1.2");
    assert.equal(parseIPv4("2130706433"), "127.0.0.1");
    assert.equal(parseIPv4("0"), "0.0.0.0");
    assert.equal(parseIPv4("4294967295"), "255.255.255.255");
  });

  test("hexadecimal parts", () => {
    assert.equal(parseIPv4("0x7f.1"), "127.0.0.1");
    assert.equal(parseIPv4("0X7F.0.0.0x1"), "127.0.0.1");
    assert.equal(parseIPv4("0xc0a80001"), "192.168.0.1");
    assert.equal(parseIPv4("0xff.0xff.0xff.0xff"), "255.255.255.255");
  });

  test("octal parts", () => {
    assert.equal(parseIPv4("010.0.0.1"), "8.0.0.1");
    assert.equal(parseIPv4("0177.0.0.01"), "127.0.0.1");
    assert.equal(parseIPv4("00.00.00.00"), "0.0.0.0");
  });

  test("a part too big for its place is refused", () => {
    assert.equal(parseIPv4("256.1.1.1"), undefined);
    assert.equal(parseIPv4("1.256.1.1"), undefined);
    assert.equal(parseIPv4("1.1.1.256"), undefined);
    assert.equal(parseIPv4("1.2.65536"), undefined);
    assert.equal(parseIPv4("1.16777216"), undefined);
    assert.equal(parseIPv4("4294967296"), undefined);
    assert.equal(parseIPv4("0x100.1"), undefined);
    assert.equal(parseIPv4("0400.0.0.1"), undefined);
    assert.equal(parseIPv4("99999999999999999999"), undefined);
  });

  test("more than four parts, or empty parts, are refused", () => {
    assert.equal(parseIPv4("1.2.3.4.5"), undefined);
    assert.equal(parseIPv4(""), undefined);
    assert.equal(parseIPv4("1..2"), undefined);
    assert.equal(parseIPv4(".1.2.3"), undefined);
    assert.equal(parseIPv4("1.2.3.4."), undefined);
  });

  test("names and malformed numbers are refused", () => {
    assert.equal(parseIPv4("localhost"), undefined);
    assert.equal(parseIPv4("example.com"), undefined);
    assert.equal(parseIPv4("1.2.3.a"), undefined);
    assert.equal(parseIPv4("08.1.1.1"), undefined, "8 is not an octal digit");
    assert.equal(parseIPv4("0x.1"), undefined);
    assert.equal(parseIPv4("0xg.1"), undefined);
    assert.equal(parseIPv4("-1.2.3.4"), undefined);
    assert.equal(parseIPv4("+1.2.3.4"), undefined);
    assert.equal(parseIPv4(" 1.2.3.4"), undefined);
    assert.equal(parseIPv4("1.2.3.4 "), undefined);
    assert.equal(parseIPv4("1e3"), undefined);
    assert.equal(parseIPv4("::1"), undefined);
  });
});

describe("parseIpLiteral", () => {
  test("IPv4 in any inet_aton form comes out as a dotted quad", () => {
    assert.equal(parseIpLiteral("127.1"), "127.0.0.1");
    assert.equal(parseIpLiteral("192.168.1.10"), "192.168.1.10");
  });

  test("IPv6 literals are recognised and lower-cased", () => {
    assert.equal(parseIpLiteral("::1"), "::1");
    assert.equal(parseIpLiteral("::"), "::");
    assert.equal(parseIpLiteral("FE80::1"), "fe80::1");
    assert.equal(parseIpLiteral("2001:DB8:0:0:0:0:0:1"), "2001:db8:0:0:0:0:0:1");
    assert.equal(parseIpLiteral("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
  });

  test("host names and malformed IPv6 are not literals", () => {
    assert.equal(parseIpLiteral("localhost"), undefined);
    assert.equal(parseIpLiteral("www.example.com"), undefined);
    assert.equal(parseIpLiteral("[::1]"), undefined);
    assert.equal(parseIpLiteral("1:2:3"), undefined);
    assert.equal(parseIpLiteral("2001:db8::g"), undefined);
    assert.equal(parseIpLiteral("1::2::3"), undefined);
    assert.equal(parseIpLiteral(""), undefined);
  });
});

describe("parsePort", () => {
  test("decimal ports from 0 to 65535", () => {
    assert.equal(parsePort("0"), 0);
    assert.equal(parsePort("80"), 80);
    assert.equal(parsePort("8080"), 8080);
    assert.equal(parsePort("65535"), 65535);
    assert.equal(parsePort("00080"), 80);
  });

  test("out of range or not a plain decimal number is refused", () => {
    assert.equal(parsePort("65536"), undefined);
    assert.equal(parsePort("99999"), undefined);
    assert.equal(parsePort("123456"), undefined);
    assert.equal(parsePort(""), undefined);
    assert.equal(parsePort("-1"), undefined);
    assert.equal(parsePort("+80"), undefined);
    assert.equal(parsePort(" 80"), undefined);
    assert.equal(parsePort("80 "), undefined);
    assert.equal(parsePort("0x50"), undefined);
    assert.equal(parsePort("8e1"), undefined);
    assert.equal(parsePort("http"), undefined);
  });
});
