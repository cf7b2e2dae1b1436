// A timer that ticks the registry so stats are snapshotted on time even when nobody scrapes.

import type { Metrics } from "./metrics.ts";

export interface SnapshotTimer {
  close(): void;
}

/**
 * Calls `metrics.tick()` every `everyMs` (default one second, so an interval ends at most that late) on an
 * unref'd timer that never keeps the process alive. Closing it twice is harmless.
 */
export function startSnapshotTimer(metrics: Metrics, everyMs = 1000): SnapshotTimer {
  const timer = setInterval(() => metrics.tick(), everyMs);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
    },
  };
}
