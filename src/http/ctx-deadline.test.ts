// l5d-ctx-deadline: read (strictest of several, malformed ignored, taken out) and written in Linkerd's format.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setDeadline, takeDeadline } from "./ctx-deadline.ts";
import { HeaderList } from "./header-list.ts";

describe("l5d-ctx-deadline", () => {
  it("reads nanoseconds since the epoch as milliseconds and takes the header out", () => {
    const h = HeaderList.of([
      ["Host", "web"],
      ["l5d-ctx-deadline", "1700000000000000000 1700000000250000000"],
    ]);
    assert.equal(takeDeadline(h), 1_700_000_000_250);
    assert.equal(h.has("l5d-ctx-deadline"), false);
    assert.equal(h.get("host"), "web");
  });

  it("combines several values into the strictest deadline and ignores malformed ones", () => {
    const h = HeaderList.of([
      ["l5d-ctx-deadline", "1 3000000"],
      ["L5d-Ctx-Deadline", "2 2000000"],
      ["l5d-ctx-deadline", "garbage"],
      ["l5d-ctx-deadline", "5 -1"],
    ]);
    assert.equal(takeDeadline(h), 2);
    assert.equal(takeDeadline(HeaderList.of([["l5d-ctx-deadline", "nope"]])), undefined);
    assert.equal(takeDeadline(new HeaderList()), undefined);
  });

  it("writes `<now> <deadline>` in nanoseconds, which reads back", () => {
    const h = new HeaderList();
    setDeadline(h, 1_700_000_000_123.7, 500);
    assert.equal(h.get("l5d-ctx-deadline"), "1700000000123000000 1700000000623000000");
    assert.equal(takeDeadline(h), 1_700_000_000_623);
  });
});
