// Tests for transformer id prefixes: `/%` plus the configured or default prefix, and stripping it again.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readPath } from "../naming/index.ts";
import { stripTransformerPrefix, TRANSFORMER_PREFIX, transformerPrefix } from "./transformer-prefix.ts";

describe("transformerPrefix", () => {
  test("is /% followed by the kind's default", () => {
    assert.equal(TRANSFORMER_PREFIX.show, "/%");
    assert.equal(transformerPrefix(undefined, readPath("/io.l5d.port/4141")).show, "/%/io.l5d.port/4141");
  });

  test("a configured prefix replaces the default, still under /%", () => {
    assert.equal(transformerPrefix(readPath("/mine"), readPath("/io.l5d.port/4141")).show, "/%/mine");
  });
});

describe("stripTransformerPrefix", () => {
  test("drops everything before the first # or $ of a /% id", () => {
    assert.equal(
      stripTransformerPrefix(readPath("/%/io.l5d.port/4141/#/io.l5d.fs/web")).show,
      "/#/io.l5d.fs/web",
    );
    assert.equal(
      stripTransformerPrefix(readPath("/%/io.l5d.localhost/%/io.l5d.port/4141/$/inet/127.1/80")).show,
      "/$/inet/127.1/80",
    );
  });

  test("leaves an id without the prefix alone, and empties a /% id with no namer in it", () => {
    assert.equal(stripTransformerPrefix(readPath("/#/io.l5d.fs/web")).show, "/#/io.l5d.fs/web");
    assert.equal(stripTransformerPrefix(readPath("/%/io.l5d.port/4141")).show, "/");
  });
});
