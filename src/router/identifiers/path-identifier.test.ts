import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import { Path } from "../../naming/index.ts";
import { PathIdentifier } from "./path-identifier.ts";

function req(target: string) {
  return { method: "GET", target, version: "1.1" as const, headers: new HeaderList() };
}

const http = Path.of("http");

describe("io.l5d.path", () => {
  test("Linkerd's golden case: as many segments as requested", () => {
    const r = new PathIdentifier({ segments: 2 }, http).identify(req("/mysvc/subsvc"));
    assert.ok(r.kind === "identified");
    assert.equal(r.path.show, "/http/mysvc/subsvc");
    assert.equal(r.target, undefined);
  });

  test("Linkerd's golden case: more segments than requested", () => {
    const r = new PathIdentifier({ segments: 2 }, http).identify(req("/mysvc/subsvc/some/path?other=stuff"));
    assert.ok(r.kind === "identified");
    assert.equal(r.path.show, "/http/mysvc/subsvc");
  });

  test("Linkerd's golden case: fewer segments than requested", () => {
    assert.deepEqual(new PathIdentifier({ segments: 2 }, http).identify(req("/mysvc?other=stuff")), {
      kind: "unidentified",
      reason: "not enough segments in path",
    });
  });

  test("Linkerd's golden case: consumes path segments, query kept", () => {
    const r = new PathIdentifier({ segments: 2, consume: true }, http).identify(
      req("/mysvc/subsvc/some/path?other=stuff"),
    );
    assert.deepEqual(r, {
      kind: "identified",
      path: Path.of("http", "mysvc", "subsvc"),
      target: "/some/path?other=stuff",
    });
  });

  test("Linkerd's golden case: consumes the entire path", () => {
    const r = new PathIdentifier({ segments: 2, consume: true }, http).identify(req("/mysvc/subsvc"));
    assert.ok(r.kind === "identified");
    assert.equal(r.target, "/");
  });

  test("consume keeps a trailing slash and the query even when nothing else is left", () => {
    const id = new PathIdentifier({ segments: 1, consume: true }, Path.of("svc"));
    const target = (t: string) => {
      const r = id.identify(req(t));
      return r.kind === "identified" ? r.target : r.reason;
    };
    assert.equal(target("/users/42/"), "/42/");
    assert.equal(target("/users/"), "/");
    assert.equal(target("/users?page=2"), "/?page=2");
    assert.equal(target("/users/?page=2"), "/?page=2");
    assert.equal(target("/users/a%2Fb?x=/y#top"), "/a%2Fb?x=/y#top");
  });

  test("defaults: one segment, no consume", () => {
    const r = new PathIdentifier({}, Path.of("svc")).identify(req("/users/42"));
    assert.deepEqual(r, { kind: "identified", path: Path.of("svc", "users") });
  });

  test("segments are raw and empty ones skipped; / and * have none", () => {
    const id = new PathIdentifier({ segments: 2 }, Path.of("svc"));
    const shown = (t: string) => {
      const r = id.identify(req(t));
      return r.kind === "identified" ? r.path.show : r.kind;
    };
    assert.equal(shown("//a///b/c"), "/svc/a/b");
    assert.equal(shown("/a%20b/c~d"), "/svc/a%20b/c\\x7ed");
    assert.equal(shown("/"), "unidentified");
    assert.equal(shown("*"), "unidentified");
    assert.equal(shown("/only?x=/a/b"), "unidentified");
  });

  test("segments must be a positive integer", () => {
    for (const segments of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new PathIdentifier({ segments }, http), RangeError, String(segments));
    }
  });
});
