// Unit tests of holdYoungGeneration: it stands aside when the user sizes the young generation.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { holdYoungGeneration } from "./young-generation.ts";

describe("holdYoungGeneration", () => {
  it("sets the growth factor when the user gave no semi-space flag", () => {
    assert.equal(holdYoungGeneration(["--enable-source-maps"], "--max-old-space-size=512"), true);
  });

  it("leaves a semi-space flag on the command line or in NODE_OPTIONS alone", () => {
    assert.equal(holdYoungGeneration(["--max-semi-space-size=16"], ""), false);
    assert.equal(holdYoungGeneration([], "--min-semi-space-size=2"), false);
    assert.equal(holdYoungGeneration(["--semi-space-growth-factor=2"], ""), false);
  });
});
