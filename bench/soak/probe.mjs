// Preloaded into the soaked proxy (node --import): on SIGUSR2 it prints its event-loop delay, heap and GC since the last one.
//
// This measures the proxy from inside without changing src/: `node --import bench/soak/probe.ts bin/trellis.js
// proxy CONFIG`. It holds one perf_hooks event-loop-delay histogram (a 10 ms libuv timer, Node's default
// resolution) and a GC observer, neither of which keeps the process alive. Each SIGUSR2 prints one line on
// stderr, `soak-probe {...}` (a ProbeLine), and starts a new window. At start it prints `soak-probe ready`, after
// which SIGUSR2 is safe to send (before it, the signal would end the process).

import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

/** What the probe reports for the time since the previous report. Delays in ms, memory in MiB. */
export interface ProbeLine {
  /** Event-loop delay: how late the 10 ms timer fired (the resolution subtracted), from perf_hooks. */
  readonly eld: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number };
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Garbage collections and their pauses (from the "gc" performance entries). */
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}

const RESOLUTION_MS = 10;
const PREFIX = "soak-probe";

const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
eld.enable();

let gcCount = 0;
let gcTotal = 0;
let gcMax = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcTotal += e.duration;
    if (e.duration > gcMax) gcMax = e.duration;
  }
}).observe({ entryTypes: ["gc"] });

const r = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
/** A histogram value in ns as the delay beyond the timer's period, in ms. */
const delay = (ns: number) => (Number.isFinite(ns) ? r(Math.max(0, ns / 1e6 - RESOLUTION_MS)) : 0);
const mib = (bytes: number) => r(bytes / 1048576, 2);

process.on("SIGUSR2", () => {
  const m = process.memoryUsage();
  const line: ProbeLine = {
    eld: {
      p50: delay(eld.percentile(50)),
      p99: delay(eld.percentile(99)),
      max: delay(eld.max),
      count: eld.count,
    },
    heapUsed: mib(m.heapUsed),
    heapTotal: mib(m.heapTotal),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
    gc: { count: gcCount, totalMs: r(gcTotal), maxMs: r(gcMax) },
  };
  eld.reset();
  gcCount = 0;
  gcTotal = 0;
  gcMax = 0;
  process.stderr.write(`${PREFIX} ${JSON.stringify(line)}\n`);
});

process.stderr.write(`${PREFIX} ready\n`);
