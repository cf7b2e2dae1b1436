// Measures how often a CPU is taken away from a busy thread (jHiccup-style): the machine's own latency noise floor.
//
//   node bench/lib/hiccups.ts [MS]   # spins for MS (default 2000) ms and prints one JSON line (Hiccups)

import { fileURLToPath } from "node:url";

export interface Hiccups {
  readonly durationMs: number;
  /** Time lost in gaps longer than 50 µs between two clock reads of a spinning loop, as a share of the run. */
  readonly lostShare: number;
  /** Gaps longer than 1 ms per second. */
  readonly over1msPerS: number;
  readonly maxMs: number;
}

/** Spins for `durationMs` reading the clock; every gap > 50 µs is time this thread did not run. */
export function measureHiccups(durationMs: number): Hiccups {
  const t0 = performance.now();
  let last = t0;
  let lost = 0;
  let over1ms = 0;
  let max = 0;
  for (;;) {
    const t = performance.now();
    const gap = t - last;
    last = t;
    if (gap > 0.05) {
      lost += gap;
      if (gap > 1) over1ms++;
      if (gap > max) max = gap;
    }
    if (t - t0 >= durationMs) break;
  }
  const elapsed = last - t0;
  return {
    durationMs: Math.round(elapsed),
    lostShare: Math.round((lost / elapsed) * 1e4) / 1e4,
    over1msPerS: Math.round((over1ms / (elapsed / 1000)) * 10) / 10,
    maxMs: Math.round(max * 100) / 100,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ms = Number(process.argv[2] ?? "2000");
  process.stdout.write(`${JSON.stringify(measureHiccups(ms))}\n`);
}
