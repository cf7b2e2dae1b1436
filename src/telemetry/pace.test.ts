// Tests of pacing a renderer's chunks around turns of the event loop, on a fake clock.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { paced } from "./pace.ts";

describe("paced", () => {
  test("gives the event loop a turn whenever a slice's time is used up", async () => {
    const clock = { now: 0 };
    const events: string[] = [];
    function* chunks() {
      for (const [text, cost] of [
        ["a", 0.4],
        ["b", 0.4],
        ["c", 0.4],
        ["d", 2],
        ["e", 0.1],
      ] as const) {
        clock.now += cost;
        yield text;
      }
    }
    const pause = async () => {
      events.push("pause");
    };
    for await (const chunk of paced(chunks(), { clock: () => clock.now, pause, sliceMs: 1 }))
      events.push(chunk);
    assert.deepEqual(events, ["a", "b", "c", "pause", "d", "pause", "e"]);
  });

  test("really yields to the event loop by default", async () => {
    let timerRan = false;
    setImmediate(() => {
      timerRan = true;
    });
    const seen: boolean[] = [];
    for await (const _ of paced(["x", "y"], { sliceMs: 0 })) seen.push(timerRan);
    assert.deepEqual(seen, [false, true]);
  });

  test("an empty source ends at once", async () => {
    const out: string[] = [];
    for await (const chunk of paced([])) out.push(chunk);
    assert.deepEqual(out, []);
  });
});
