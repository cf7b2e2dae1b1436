import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import { Path, readPath } from "../../naming/index.ts";
import { HeaderPathIdentifier } from "./header-path-identifier.ts";

function req(headers: [string, string][]) {
  return { method: "GET", target: "/", version: "1.1" as const, headers: HeaderList.of(headers) };
}

describe("io.l5d.header", () => {
  test("Linkerd's golden case: the path from the header, under the prefix", () => {
    const id = new HeaderPathIdentifier({ header: "my-header" }, Path.of("http"));
    const r = id.identify(req([["my-header", "/a/b/c"]]));
    assert.ok(r.kind === "identified");
    assert.ok(r.path.equals(readPath("/http/a/b/c")));
  });

  test("Linkerd's golden case: the header is absent", () => {
    const id = new HeaderPathIdentifier({ header: "my-header" }, Path.of("http"));
    assert.deepEqual(id.identify(req([])), { kind: "unidentified", reason: "my-header header is absent" });
  });

  test("l5d-name by default, any case", () => {
    const id = new HeaderPathIdentifier({}, Path.of("svc"));
    const r = id.identify(req([["L5d-Name", "/users/v2"]]));
    assert.ok(r.kind === "identified");
    assert.equal(r.path.show, "/svc/users/v2");
  });

  test("escapes are read as bytes; / alone names the prefix itself, as in Linkerd", () => {
    const id = new HeaderPathIdentifier({}, Path.of("svc"));
    const esc = id.identify(req([["l5d-name", "/h\\xc3\\xa4/x"]]));
    assert.ok(esc.kind === "identified");
    assert.deepEqual(esc.path.utf8Elems, ["svc", "hä", "x"]);
    const root = id.identify(req([["l5d-name", "/"]]));
    assert.ok(root.kind === "identified");
    assert.equal(root.path.show, "/svc");
  });

  test("empty or not a path: unidentified with the parser's reason", () => {
    const id = new HeaderPathIdentifier({}, Path.of("svc"));
    assert.deepEqual(id.identify(req([["l5d-name", ""]])), {
      kind: "unidentified",
      reason: "l5d-name header is empty",
    });
    for (const value of ["users", "/a//b", "/a/b/", "/a b", "/a=>/b", "/ä"]) {
      const r = id.identify(req([["l5d-name", value]]));
      assert.equal(r.kind, "unidentified", value);
      assert.match(
        r.kind === "unidentified" ? r.reason : "",
        /^l5d-name header is not a path: expected /,
        value,
      );
    }
  });

  test("an invalid header name is refused at construction", () => {
    assert.throws(() => new HeaderPathIdentifier({ header: "" }, Path.of("svc")), RangeError);
  });
});
