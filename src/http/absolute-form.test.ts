import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CONNECT_NOT_SUPPORTED, classifyTarget, rewriteAbsoluteForm } from "./absolute-form.ts";
import { HeaderList } from "./header-list.ts";

function request(method: string, target: string, headers: [string, string][] = []) {
  return { method, target, headers: HeaderList.of(headers) };
}

describe("classifyTarget", () => {
  test("origin form is left alone, even with :// inside", () => {
    for (const t of ["/", "/pong?x=1", "/r?to=http://evil/", "//host/path", "/a://b"]) {
      assert.deepEqual(classifyTarget("GET", t), { kind: "origin-form" }, t);
    }
  });

  test("absolute form: the authority, and the rest as the origin-form target", () => {
    assert.deepEqual(classifyTarget("GET", "http://pong/pong?x=1"), {
      kind: "absolute-form",
      scheme: "http",
      authority: "pong",
      target: "/pong?x=1",
    });
    assert.deepEqual(classifyTarget("GET", "http://host:8080/"), {
      kind: "absolute-form",
      scheme: "http",
      authority: "host:8080",
      target: "/",
    });
  });

  test("an empty path becomes /, even before a query or fragment", () => {
    assert.equal(get(classifyTarget("GET", "http://host:8080")).target, "/");
    assert.equal(get(classifyTarget("GET", "http://host?x=1")).target, "/?x=1");
    assert.equal(get(classifyTarget("GET", "http://host#frag")).target, "/#frag");
  });

  test("Linkerd's golden cases: the rest of the target keeps its bytes (no re-encoding, no decoding)", () => {
    assert.equal(
      get(classifyTarget("GET", "http://acme.co:8080/foo?text=hello%20world")).target,
      "/foo?text=hello%20world",
    );
    assert.equal(get(classifyTarget("GET", "http://acme.co:8080/foo?x=R%26D")).target, "/foo?x=R%26D");
    const r = get(classifyTarget("GET", "http://acme.co:8080/foo;matrix=uri;/bar?x=1&y=2&z=%28%20hi%20%29"));
    assert.equal(r.authority, "acme.co:8080");
    assert.equal(r.target, "/foo;matrix=uri;/bar?x=1&y=2&z=%28%20hi%20%29");
  });

  test("any scheme, in any case, as Linkerd: https too", () => {
    assert.deepEqual(classifyTarget("GET", "https://secure:443/a"), {
      kind: "absolute-form",
      scheme: "https",
      authority: "secure:443",
      target: "/a",
    });
    assert.equal(get(classifyTarget("GET", "HTTP://Web/x")).scheme, "http");
    assert.equal(get(classifyTarget("GET", "HTTP://Web/x")).authority, "Web");
    assert.equal(get(classifyTarget("POST", "svc+h2c://a.b/")).scheme, "svc+h2c");
  });

  test("IP literals and ports", () => {
    assert.equal(get(classifyTarget("GET", "http://[::1]:4140/p")).authority, "[::1]:4140");
    assert.equal(get(classifyTarget("GET", "http://127.0.0.1:80")).authority, "127.0.0.1:80");
    assert.equal(get(classifyTarget("GET", "http://host:/p")).authority, "host:");
  });

  test("refused with 400: no host, user information, a bad host or port", () => {
    for (const t of [
      "http:///path",
      "http://",
      "http://user:pw@host/",
      "http://@host/",
      "http://ho st/",
      "http://host:99999/",
      "http://host:123456/",
      "http://host:8x/",
      "http://:80/",
      "http://a\\b/",
    ]) {
      const r = classifyTarget("GET", t);
      assert.equal(r.kind, "refused", t);
      assert.equal(r.kind === "refused" && r.status, 400, t);
    }
  });

  test("refused with 400: neither origin nor absolute form", () => {
    for (const t of ["pong", "http:/pong", "1http://x/", "mailto:a@b"]) {
      const r = classifyTarget("GET", t);
      assert.equal(r.kind === "refused" && r.status, 400, t);
    }
  });

  test("* is for OPTIONS only", () => {
    assert.deepEqual(classifyTarget("OPTIONS", "*"), { kind: "origin-form" });
    const r = classifyTarget("GET", "*");
    assert.equal(r.kind === "refused" && r.status, 400);
  });

  test("CONNECT is not supported: 501", () => {
    assert.deepEqual(classifyTarget("CONNECT", "example.com:443"), {
      kind: "refused",
      status: 501,
      message: CONNECT_NOT_SUPPORTED,
    });
  });
});

describe("rewriteAbsoluteForm", () => {
  test("Linkerd's golden case: Host replaced by the authority, other headers untouched", () => {
    const req = request("GET", "http://acme.co:8080/foo", [
      ["Host", "example.com:9000"],
      ["Proxy-Foo", "Bar"],
      ["Pragma", "42"],
    ]);
    const r = rewriteAbsoluteForm(req);
    assert.equal(r.kind, "absolute-form");
    assert.equal(req.target, "/foo");
    assert.deepEqual(req.headers.getAll("host"), ["acme.co:8080"]);
    assert.equal(req.headers.get("proxy-foo"), "Bar");
    assert.equal(req.headers.get("pragma"), "42");
  });

  test("every Host line goes (RFC 9112: a proxy ignores Host for absolute form), one is added if none", () => {
    const two = request("GET", "http://real/", [
      ["Host", "a"],
      ["host", "b"],
    ]);
    rewriteAbsoluteForm(two);
    assert.deepEqual(two.headers.getAll("Host"), ["real"]);
    const none = request("GET", "http://real/");
    rewriteAbsoluteForm(none);
    assert.deepEqual(none.headers.getAll("Host"), ["real"]);
  });

  test("origin form and refusals change nothing", () => {
    const origin = request("GET", "/x", [["Host", "h"]]);
    assert.equal(rewriteAbsoluteForm(origin).kind, "origin-form");
    assert.equal(origin.target, "/x");
    assert.deepEqual(origin.headers.toRaw(), ["Host", "h"]);
    const bad = request("GET", "http://u@h/x", [["Host", "h"]]);
    assert.equal(rewriteAbsoluteForm(bad).kind, "refused");
    assert.equal(bad.target, "http://u@h/x");
    assert.deepEqual(bad.headers.toRaw(), ["Host", "h"]);
  });
});

function get(r: ReturnType<typeof classifyTarget>) {
  if (r.kind !== "absolute-form")
    throw new assert.AssertionError({ message: `expected absolute-form, got ${r.kind}` });
  return r;
}
