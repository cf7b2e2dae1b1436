// Tests of the snapshot timer with Node's mocked timers (no sleeping).

import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { Metrics } from "./metrics.ts";
import { startSnapshotTimer } from "./snapshot-timer.ts";

describe("startSnapshotTimer", () => {
  test("ticks the registry on its period until closed", (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const clock = { now: 0 };
    const metrics = new Metrics({ clock: () => clock.now, snapshotIntervalMs: 60_000 });
    const tick = mock.method(metrics, "tick");
    const timer = startSnapshotTimer(metrics, 1_000);
    t.mock.timers.tick(3_000);
    assert.equal(tick.mock.callCount(), 3);
    timer.close();
    timer.close();
    t.mock.timers.tick(3_000);
    assert.equal(tick.mock.callCount(), 3);
  });

  test("stats are snapshotted within a period of the interval's end", (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const clock = { now: 0 };
    const metrics = new Metrics({ clock: () => clock.now, snapshotIntervalMs: 60_000 });
    const stat = metrics.stat("lat");
    stat.add(3);
    const timer = startSnapshotTimer(metrics);
    for (let s = 0; s < 60; s++) {
      clock.now += 1_000;
      t.mock.timers.tick(1_000);
    }
    assert.equal(stat.summary.count, 1);
    timer.close();
  });
});
