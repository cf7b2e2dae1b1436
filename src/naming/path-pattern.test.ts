// Prefix patterns of per-prefix configs: literal labels, `*`, `{var}` captures (greedy), prefix matching.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readPath } from "./index.ts";
import { PathPattern, PathPatternError } from "./path-pattern.ts";

const match = (pattern: string, path: string) => PathPattern.read(pattern).match(readPath(path));

describe("PathPattern", () => {
  it("matches a prefix label by label, with * for any one label", () => {
    assert.deepEqual(match("/svc", "/svc/web/v1"), {});
    assert.deepEqual(match("/svc/web", "/svc/web"), {});
    assert.equal(match("/svc/web", "/svc/webs"), undefined);
    assert.equal(match("/svc/web/v1", "/svc/web"), undefined, "a pattern longer than the path");
    assert.deepEqual(match("/$/inet/*/80", "/$/inet/127.1/80"), {});
    assert.equal(match("/$/inet/*/80", "/$/inet/127.1/8080"), undefined);
    assert.deepEqual(match("/", "/anything"), {});
  });

  it("captures {var} labels, and greedy parts of a label", () => {
    assert.deepEqual(match("/#/io.l5d.fs/{service}", "/#/io.l5d.fs/web/extra"), { service: "web" });
    assert.deepEqual(match("/svc/{a}-{b}", "/svc/x-y-z"), { a: "x-y", b: "z" });
    assert.deepEqual(match("/svc/{host}:{port}", "/svc/web:8080"), { host: "web", port: "8080" });
    assert.equal(match("/svc/{a}-{b}", "/svc/xyz"), undefined);
  });

  it("refuses patterns it cannot read", () => {
    for (const bad of ["svc", "/svc//x", "/svc/", "/svc/{a", "/svc/a}", "/svc/{}"]) {
      assert.throws(() => PathPattern.read(bad), PathPatternError, bad);
    }
  });
});
