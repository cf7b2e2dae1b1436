import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import type { HttpVersion } from "../../http/message.ts";
import { Path, readPath } from "../../naming/index.ts";
import { HeaderTokenIdentifier } from "./header-token-identifier.ts";

const svc = Path.of("svc");

function req(headers: [string, string][], version: HttpVersion = "1.1") {
  return { method: "GET", target: "/x/y", version, headers: HeaderList.of(headers) };
}

function identified(id: HeaderTokenIdentifier, headers: [string, string][]): string {
  const r = id.identify(req(headers));
  assert.equal(r.kind, "identified", JSON.stringify(r));
  return r.kind === "identified" ? r.path.show : "";
}

describe("io.l5d.header.token", () => {
  test("Host by default: the raw value as one label, case and port kept", () => {
    const id = new HeaderTokenIdentifier({}, svc);
    assert.equal(identified(id, [["Host", "web"]]), "/svc/web");
    assert.equal(identified(id, [["host", "Web.Example.COM:8080"]]), "/svc/Web.Example.COM:8080");
    assert.equal(identified(id, [["Host", "[::1]:4140"]]), "/svc/\\x5b::1\\x5d:4140");
  });

  test("a value with / or spaces is still one label; bytes that are not showable show as \\xNN", () => {
    const id = new HeaderTokenIdentifier({ header: "my-header" }, svc);
    const r = id.identify(req([["my-header", "/a/b c"]]));
    assert.ok(r.kind === "identified");
    assert.equal(r.path.size, 2);
    assert.equal(r.path.show, "/svc/\\x2fa\\x2fb\\x20c");
    // Node gives header bytes as latin1 characters; Path.utf8 then encodes them as Linkerd does (Netty reads
    // header bytes as ISO-8859-1 and Finagle's Path.Utf8 encodes the string as UTF-8).
    assert.equal(identified(new HeaderTokenIdentifier({}, svc), [["Host", "h\u00e4"]]), "/svc/h\\xc3\\xa4");
  });

  test("the first line of the header; surrounding whitespace ignored", () => {
    const id = new HeaderTokenIdentifier({ header: "x-dst" }, svc);
    assert.equal(
      identified(id, [
        ["X-Dst", " one "],
        ["x-dst", "two"],
      ]),
      "/svc/one",
    );
  });

  test("missing or empty: unidentified, saying which header", () => {
    const id = new HeaderTokenIdentifier({}, svc);
    assert.deepEqual(id.identify(req([])), { kind: "unidentified", reason: "Host header is absent" });
    assert.deepEqual(id.identify(req([["Host", ""]])), {
      kind: "unidentified",
      reason: "Host header is empty",
    });
    assert.equal(id.identify(req([["Host", "  "]], "1.0")).kind, "unidentified");
  });

  test("under any dstPrefix, including the empty one", () => {
    const deep = new HeaderTokenIdentifier({}, readPath("/http/1.1"));
    assert.equal(identified(deep, [["Host", "web"]]), "/http/1.1/web");
    assert.equal(identified(new HeaderTokenIdentifier({}, Path.empty), [["Host", "web"]]), "/web");
  });

  test("an invalid header name is refused at construction", () => {
    assert.throws(() => new HeaderTokenIdentifier({ header: "bad header" }, svc), RangeError);
  });
});
