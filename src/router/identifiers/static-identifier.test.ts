import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "../../http/header-list.ts";
import { Path, readPath } from "../../naming/index.ts";
import { StaticIdentifier } from "./static-identifier.ts";

describe("io.l5d.static", () => {
  test("every request gets dstPrefix ++ path, whatever it carries", () => {
    const id = new StaticIdentifier({ path: readPath("/foo/bar") }, Path.of("svc"));
    for (const [target, headers] of [
      ["/", []],
      ["/x/y?z", [["Host", "web"]]],
      ["*", [["l5d-name", "/other"]]],
    ] as const) {
      const r = id.identify({ method: "GET", target, version: "1.0", headers: HeaderList.of(headers) });
      assert.ok(r.kind === "identified");
      assert.equal(r.path.show, "/svc/foo/bar");
      assert.equal(r.target, undefined);
    }
  });

  test("path is required", () => {
    assert.throws(() => new StaticIdentifier({} as never, Path.of("svc")), RangeError);
  });
});
