import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import type { HttpVersion } from "../../http/message.ts";
import { Path } from "../../naming/index.ts";
import { MethodAndHostIdentifier } from "./method-and-host-identifier.ts";

function req(method: string, target: string, version: HttpVersion, headers: [string, string][] = []) {
  return { method, target, version, headers: HeaderList.of(headers) };
}

function shown(id: MethodAndHostIdentifier, request: ReturnType<typeof req>): string {
  const r = id.identify(request);
  assert.equal(r.kind, "identified", JSON.stringify(r));
  return r.kind === "identified" ? r.path.show : "";
}

const https = Path.of("https");
const prefix = Path.of("prefix");

describe("io.l5d.methodAndHost", () => {
  test("Linkerd's golden case: HTTP/1.1 without a Host is unidentified", () => {
    const id = new MethodAndHostIdentifier({}, https);
    assert.deepEqual(id.identify(req("GET", "/some/path?other=stuff", "1.1")), {
      kind: "unidentified",
      reason: "HTTP/1.1 request missing hostname",
    });
    assert.equal(id.identify(req("GET", "/", "1.1", [["Host", ""]])).kind, "unidentified");
  });

  test("Linkerd's golden case: HTTP/1.1 with a Host", () => {
    const id = new MethodAndHostIdentifier({ httpUriInDst: false }, https);
    assert.equal(
      shown(id, req("GET", "/some/path?other=stuff", "1.1", [["Host", "domain"]])),
      "/https/1.1/GET/domain",
    );
  });

  test("Linkerd's golden case: HTTP/1.1 with URIs", () => {
    const id = new MethodAndHostIdentifier({ httpUriInDst: true }, https);
    assert.equal(
      shown(id, req("GET", "/some/path?other=stuff", "1.1", [["Host", "domain"]])),
      "/https/1.1/GET/domain/some/path",
    );
  });

  test("Linkerd's golden cases: HTTP/1.0, with and without the URI, Host ignored", () => {
    assert.equal(
      shown(new MethodAndHostIdentifier({}, prefix), req("POST", "/drum/bass", "1.0", [["Host", "x"]])),
      "/prefix/1.0/POST",
    );
    assert.equal(
      shown(new MethodAndHostIdentifier({ httpUriInDst: true }, prefix), req("POST", "/drum/bass", "1.0")),
      "/prefix/1.0/POST/drum/bass",
    );
  });

  test("the host is lower-cased with its port kept, as Linkerd", () => {
    const id = new MethodAndHostIdentifier({}, Path.of("svc"));
    assert.equal(
      shown(id, req("PUT", "/", "1.1", [["Host", "Web.Example.COM:8080"]])),
      "/svc/1.1/PUT/web.example.com:8080",
    );
  });

  test("the method is taken as sent", () => {
    const id = new MethodAndHostIdentifier({}, Path.of("svc"));
    assert.equal(shown(id, req("PROPFIND", "/", "1.1", [["Host", "dav"]])), "/svc/1.1/PROPFIND/dav");
  });

  test("URI segments: raw, empty ones skipped, nothing for / or *", () => {
    const id = new MethodAndHostIdentifier({ httpUriInDst: true }, Path.of("svc"));
    const host: [string, string][] = [["Host", "h"]];
    assert.equal(shown(id, req("GET", "/a//b/?q=/c", "1.1", host)), "/svc/1.1/GET/h/a/b");
    assert.equal(shown(id, req("GET", "/a%20b/~c", "1.1", host)), "/svc/1.1/GET/h/a%20b/\\x7ec");
    assert.equal(shown(id, req("GET", "/", "1.1", host)), "/svc/1.1/GET/h");
    assert.equal(shown(id, req("OPTIONS", "*", "1.1", host)), "/svc/1.1/OPTIONS/h");
  });

  test("a host that is not showable shows as \\xNN", () => {
    const id = new MethodAndHostIdentifier({}, Path.of("svc"));
    assert.equal(shown(id, req("GET", "/", "1.1", [["Host", "A B"]])), "/svc/1.1/GET/a\\x20b");
  });
});
