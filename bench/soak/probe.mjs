// Preloaded into the soaked proxy (node --import): on SIGUSR2 it prints its event-loop delay, heap and GC since the last one.
//
// This measures the proxy from inside without changing src/: `node --import bench/soak/probe.mjs bin/trellis.js
// proxy CONFIG`. It is plain JavaScript because a TypeScript preload makes Node load its type stripper into the
// proxy: some 15 MiB of RSS that is not the proxy's. It holds one perf_hooks event-loop-delay histogram (a 10 ms
// libuv timer, Node's default resolution) and a GC observer, neither of which keeps the process alive. Each
// SIGUSR2 prints one line on stderr, `soak-probe {...}` (a ProbeLine, bench/soak/report.ts), and starts a new
// window. At start it prints `soak-probe ready`, after which SIGUSR2 is safe to send (before it, the signal
// would end the process).

import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

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

/** @param {number} v @param {number} [digits] */
const r = (v, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
/** A histogram value in ns as the delay beyond the timer's period, in ms. @param {number} ns */
const delay = (ns) => (Number.isFinite(ns) ? r(Math.max(0, ns / 1e6 - RESOLUTION_MS)) : 0);
/** @param {number} bytes */
const mib = (bytes) => r(bytes / 1048576, 2);

process.on("SIGUSR2", () => {
  const m = process.memoryUsage();
  /** @type {import("./report.ts").ProbeLine} */
  const line = {
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
