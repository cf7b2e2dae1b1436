import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import { Path, readPath } from "../../naming/index.ts";
import {
  DEFAULT_IDENTIFIER_KIND,
  firstOf,
  HTTP_IDENTIFIER_KINDS,
  headerPathKind,
  headerTokenKind,
  methodAndHostKind,
  pathKind,
  staticKind,
} from "./index.ts";

const svc = Path.of("svc");
const request = {
  method: "GET",
  target: "/users/42?x=1",
  version: "1.1" as const,
  headers: HeaderList.of([
    ["Host", "Web:8080"],
    ["l5d-name", "/named"],
  ]),
};

function shown(result: ReturnType<ReturnType<typeof headerTokenKind.make>["identify"]>): string {
  return result.kind === "identified" ? result.path.show : `unidentified: ${result.reason}`;
}

describe("the identifier kinds", () => {
  test("Linkerd's names, each once, the default first", () => {
    assert.deepEqual(
      HTTP_IDENTIFIER_KINDS.map((k) => k.kind),
      ["io.l5d.header.token", "io.l5d.methodAndHost", "io.l5d.path", "io.l5d.header", "io.l5d.static"],
    );
    assert.equal(DEFAULT_IDENTIFIER_KIND, HTTP_IDENTIFIER_KINDS[0]?.kind);
  });

  test("each make builds its identifier from options and dstPrefix", () => {
    assert.equal(shown(headerTokenKind.make({}, svc).identify(request)), "/svc/Web:8080");
    assert.equal(shown(methodAndHostKind.make({}, svc).identify(request)), "/svc/1.1/GET/web:8080");
    assert.equal(shown(pathKind.make({ segments: 2 }, svc).identify(request)), "/svc/users/42");
    assert.equal(shown(headerPathKind.make({}, svc).identify(request)), "/svc/named");
    assert.equal(shown(staticKind.make({ path: readPath("/fixed") }, svc).identify(request)), "/svc/fixed");
  });

  test("a list is tried in order (firstOf), reasons joined when all fail", () => {
    const list = firstOf([
      pathKind.make({ segments: 5 }, svc),
      headerTokenKind.make({ header: "x-dst" }, svc),
    ]);
    assert.equal(
      shown(list.identify(request)),
      "unidentified: not enough segments in path; x-dst header is absent",
    );
    const withFallback = firstOf([pathKind.make({ segments: 5 }, svc), headerTokenKind.make({}, svc)]);
    assert.equal(shown(withFallback.identify(request)), "/svc/Web:8080");
  });
});
