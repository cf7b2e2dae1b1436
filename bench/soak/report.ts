// The soak's arithmetic and text: per-window records, slow_cooker-style lines, the drift of RSS and p99, and the Markdown.

import { Histogram } from "../lib/histogram.ts";
import type { Machine } from "../lib/machine.ts";
import { type Percentiles, percentiles } from "../lib/open-loop.ts";
import { median, round } from "../lib/stats.ts";
import type { WindowLine } from "./generator.ts";

/** What the probe (bench/soak/probe.mjs) reports for the time since the previous report. Delays in ms, memory in MiB. */
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

/** The soak target of issue 4: RSS and p99 flat, no drift over 5%. */
export const DRIFT_TARGET_PCT = 5;
/** performance.md G8's other two targets: p99 variation between windows and the event loop's delay. */
export const WINDOW_P99_TARGET_PCT = 20;
export const ELD_P99_TARGET_MS = 5;

/** One RSS reading of the proxy, at `tS` seconds after the timetable started. */
export interface RssSample {
  readonly tS: number;
  readonly kib: number;
}

/** A window as reported: the generator's line, the proxy's RSS and what the probe saw. */
export interface WindowRecord {
  readonly index: number;
  /** End of the window, seconds after the start of the timetable. */
  readonly endS: number;
  /** Wall-clock time the line was printed. */
  readonly time: string;
  readonly scheduled: number;
  readonly good: number;
  readonly bad: number;
  readonly failed: number;
  readonly failedDetail: WindowLine["failed"];
  /** Answered requests (good and bad) per second, and as a share of the requested rate. */
  readonly rate: number;
  readonly ratePct: number;
  readonly minUs: number;
  readonly latency: Percentiles;
  readonly sendLag: Percentiles;
  readonly reconnects: number;
  /** Proxy RSS when the window closed, and the mean of the 1-s samples inside it, MiB. */
  readonly rssMiB: number | undefined;
  readonly rssMeanMiB: number | undefined;
  readonly probe: ProbeLine | undefined;
  /** CPU time other programs used during the window, as a % of one CPU (undefined for the first). */
  readonly othersCpuPct: number | undefined;
  /** "+" / "-" when p99 is over 1.2× / under 0.8× the median of the earlier post-warm-up windows. */
  readonly marker: string;
}

export function windowRecord(
  w: WindowLine,
  requestedRate: number,
  rss: number | undefined,
  samples: readonly RssSample[],
  probe: ProbeLine | undefined,
  earlierP99: readonly number[],
  othersCpuPct: number | undefined,
): WindowRecord {
  const startS = w.index * w.windowS;
  const endS = startS + w.windowS;
  const inside = samples.filter((s) => s.tS >= startS && s.tS < endS);
  const answered = w.good + w.bad;
  const failed = w.failed.connection + w.failed.timeout + w.failed.unfinished;
  const ref = median(earlierP99);
  const p99 = w.latency.p99Us;
  const marker =
    ref === undefined || earlierP99.length < 3 || !Number.isFinite(p99)
      ? ""
      : p99 > 1.2 * ref
        ? "+"
        : p99 < 0.8 * ref
          ? "-"
          : "";
  return {
    index: w.index,
    endS,
    time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    scheduled: w.scheduled,
    good: w.good,
    bad: w.bad,
    failed,
    failedDetail: w.failed,
    rate: round(answered / w.windowS, 1) as number,
    ratePct: round((100 * answered) / w.windowS / requestedRate, 1) as number,
    minUs: w.histogram.count === 0 ? Number.NaN : (round(w.histogram.minNs / 1000, 1) as number),
    latency: w.latency,
    sendLag: w.sendLag,
    reconnects: w.reconnects,
    rssMiB: rss === undefined ? undefined : round(rss / 1024, 1),
    rssMeanMiB: inside.length === 0 ? undefined : round(mean(inside.map((s) => s.kib)) / 1024, 1),
    probe,
    othersCpuPct,
    marker,
  };
}

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

const pad = (s: string, n: number) => s.padStart(n);
const us = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? "-"
    : v >= 10_000
      ? `${Math.round(v / 100) / 10}ms`
      : `${Math.round(v)}`;
const num = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(digits);

/** The column heads of the per-window lines. */
export function lineHeader(probe: boolean): string {
  return [
    "time                 ",
    pad("elapsed", 7),
    pad("good/bad/failed", 21),
    pad("rate/s", 9),
    pad("of req", 7),
    "  latency µs:",
    pad("min", 7),
    pad("p50", 7),
    pad("p99", 7),
    pad("p99.9", 7),
    pad("max", 7),
    pad("lag p99", 7),
    pad("rss MiB", 8),
    ...(probe ? [pad("heap used/total", 15), pad("eld p99/max ms", 15), pad("gc ms", 6)] : []),
    pad("others", 6),
  ].join(" ");
}

/** One slow_cooker-style line: what the window's requests saw, from their intended send times. */
export function formatLine(r: WindowRecord, probe: boolean): string {
  const l = r.latency;
  const p = r.probe;
  return [
    r.time.padEnd(21),
    pad(`${r.endS}s`, 7),
    pad(`${r.good}/${r.bad}/${r.failed}`, 21),
    pad(num(r.rate), 9),
    pad(`${num(r.ratePct)}%`, 7),
    "             ",
    pad(us(r.minUs), 7),
    pad(us(l.p50Us), 7),
    pad(us(l.p99Us), 7),
    pad(us(l.p999Us), 7),
    pad(us(l.maxUs), 7),
    pad(us(r.sendLag.p99Us), 7),
    pad(num(r.rssMiB), 8),
    ...(probe
      ? [
          pad(p === undefined ? "-" : `${num(p.heapUsed)}/${num(p.heapTotal)}`, 15),
          pad(p === undefined ? "-" : `${num(p.eld.p99, 2)}/${num(p.eld.max, 2)}`, 15),
          pad(num(p?.gc.totalMs), 6),
        ]
      : []),
    pad(r.othersCpuPct === undefined ? "-" : `${Math.round(r.othersCpuPct)}%`, 6),
    r.marker,
  ]
    .join(" ")
    .trimEnd();
}

/** One half of the measured time (after the warm-up): what the drift compares. */
export interface Half {
  readonly fromS: number;
  readonly toS: number;
  readonly windows: number;
  readonly rssSamples: number;
  readonly rssMeanMiB: number | undefined;
  readonly heapUsedMeanMiB: number | undefined;
  readonly heapTotalMeanMiB: number | undefined;
  /** The mean of the half's window p99s (as RSS is the mean of its samples): what the p99 drift compares. */
  readonly p99MeanUs: number | undefined;
  /** The median of the half's window p99s: the same, robust to a single outlying window. */
  readonly p99MedianUs: number | undefined;
  /** Over every answered request of the half's windows (their histograms merged). */
  readonly latency: Percentiles;
  readonly answered: number;
}

export interface SoakSummary {
  readonly durationS: number;
  readonly warmupS: number;
  readonly first: Half;
  readonly second: Half;
  /** (second − first) / first, in %. */
  readonly rssDriftPct: number | undefined;
  readonly p99DriftPct: number | undefined;
  readonly rssMet: boolean;
  readonly p99Met: boolean;
  /** Post-warm-up windows: the median of their p99s, and the largest deviation from it, in %. */
  readonly windowP99MedianUs: number | undefined;
  readonly windowP99MaxDeviationPct: number | undefined;
  readonly windowsOutside20Pct: number;
  /** The largest and the median event-loop delay p99 of the post-warm-up windows (probe on), ms. */
  readonly eldP99MaxMs: number | undefined;
  readonly eldP99MedianMs: number | undefined;
  /**
   * Post-warm-up windows: each one's latency p99 less the generator's own send-lag p99, the median and the
   * largest, µs. Percentiles do not subtract exactly; a small figure beside a large p99 says the load side's lag
   * is most of it.
   */
  readonly p99OverSendLagMedianUs: number | undefined;
  readonly p99OverSendLagMaxUs: number | undefined;
  /** Least-squares slope of the post-warm-up RSS samples, MiB per minute. */
  readonly rssSlopeMiBPerMin: number | undefined;
  readonly totals: {
    readonly scheduled: number;
    readonly good: number;
    readonly bad: number;
    readonly failed: number;
    readonly reconnects: number;
    readonly meanRate: number;
    readonly latency: Percentiles;
    /** The generator's lag behind its timetable: the largest window p99 and max, µs. */
    readonly sendLagP99MaxUs: number;
    readonly sendLagMaxUs: number;
  };
}

/** The warm-up left out of the drift: the first minute, or a tenth of a shorter run (whole windows). */
export function warmupOf(durationS: number, windowS: number): number {
  return Math.min(60, Math.max(windowS, Math.ceil(durationS / 10 / windowS) * windowS));
}

function half(
  fromS: number,
  toS: number,
  windows: readonly WindowRecord[],
  histograms: ReadonlyMap<number, Histogram>,
  samples: readonly RssSample[],
): Half {
  const ws = windows.filter((w) => w.endS > fromS && w.endS <= toS);
  const h = new Histogram();
  for (const w of ws) {
    const x = histograms.get(w.index);
    if (x !== undefined) h.add(x);
  }
  const rss = samples.filter((s) => s.tS >= fromS && s.tS < toS).map((s) => s.kib);
  const p99s = ws.map((w) => w.latency.p99Us).filter((v) => Number.isFinite(v));
  const heap = ws.map((w) => w.probe?.heapUsed).filter((v): v is number => v !== undefined);
  const heapTotal = ws.map((w) => w.probe?.heapTotal).filter((v): v is number => v !== undefined);
  return {
    fromS,
    toS,
    windows: ws.length,
    rssSamples: rss.length,
    rssMeanMiB: rss.length === 0 ? undefined : round(mean(rss) / 1024, 2),
    p99MeanUs: p99s.length === 0 ? undefined : round(mean(p99s), 1),
    p99MedianUs: median(p99s),
    heapUsedMeanMiB: heap.length === 0 ? undefined : round(mean(heap), 2),
    heapTotalMeanMiB: heapTotal.length === 0 ? undefined : round(mean(heapTotal), 2),
    latency: percentiles(h),
    answered: h.count,
  };
}

const driftPct = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || a === 0 || !Number.isFinite(a) || !Number.isFinite(b)
    ? undefined
    : round(((b - a) / a) * 100, 2);

function slope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

export function summarize(
  durationS: number,
  windowS: number,
  windows: readonly WindowRecord[],
  histograms: ReadonlyMap<number, Histogram>,
  samples: readonly RssSample[],
  reconnects: number,
): SoakSummary {
  const warmupS = warmupOf(durationS, windowS);
  const splitS = Math.max(warmupS, Math.floor(durationS / 2 / windowS) * windowS);
  const first = half(warmupS, splitS, windows, histograms, samples);
  const second = half(splitS, durationS, windows, histograms, samples);
  const rssDriftPct = driftPct(first.rssMeanMiB, second.rssMeanMiB);
  const p99DriftPct = driftPct(first.p99MeanUs, second.p99MeanUs);

  const measured = windows.filter((w) => w.endS > warmupS);
  const p99s = measured.map((w) => w.latency.p99Us).filter((v) => Number.isFinite(v));
  const p99Median = median(p99s);
  const deviations = p99Median === undefined ? [] : p99s.map((v) => (100 * (v - p99Median)) / p99Median);
  const eld = measured.map((w) => w.probe?.eld.p99).filter((v): v is number => v !== undefined);
  const overLag = measured.map((w) => w.latency.p99Us - w.sendLag.p99Us).filter((v) => Number.isFinite(v));
  const post = samples.filter((s) => s.tS >= warmupS).map((s) => ({ x: s.tS / 60, y: s.kib / 1024 }));
  const all = new Histogram();
  for (const h of histograms.values()) all.add(h);
  const sum = (f: (w: WindowRecord) => number) => windows.reduce((a, w) => a + f(w), 0);
  return {
    durationS,
    warmupS,
    first,
    second,
    rssDriftPct,
    p99DriftPct,
    rssMet: rssDriftPct !== undefined && Math.abs(rssDriftPct) <= DRIFT_TARGET_PCT,
    p99Met: p99DriftPct !== undefined && Math.abs(p99DriftPct) <= DRIFT_TARGET_PCT,
    windowP99MedianUs: p99Median,
    windowP99MaxDeviationPct:
      deviations.length === 0 ? undefined : round(Math.max(...deviations.map(Math.abs)), 1),
    windowsOutside20Pct: deviations.filter((d) => Math.abs(d) > WINDOW_P99_TARGET_PCT).length,
    eldP99MaxMs: eld.length === 0 ? undefined : Math.max(...eld),
    eldP99MedianMs: median(eld),
    p99OverSendLagMedianUs: round(median(overLag), 1),
    p99OverSendLagMaxUs: overLag.length === 0 ? undefined : round(Math.max(...overLag), 1),
    rssSlopeMiBPerMin: round(slope(post), 3),
    totals: {
      scheduled: sum((w) => w.scheduled),
      good: sum((w) => w.good),
      bad: sum((w) => w.bad),
      failed: sum((w) => w.failed),
      reconnects,
      meanRate: round(sum((w) => w.good + w.bad) / Math.max(1, windows.length * windowS), 1) as number,
      latency: percentiles(all),
      sendLagP99MaxUs: Math.max(0, ...windows.map((w) => w.sendLag.p99Us).filter(Number.isFinite)),
      sendLagMaxUs: Math.max(0, ...windows.map((w) => w.sendLag.maxUs).filter(Number.isFinite)),
    },
  };
}

/** What the Markdown needs besides the summary. */
export interface SoakInfo {
  readonly machine: Machine;
  readonly pinning: string;
  readonly tools: { readonly node: string; readonly wrk: string; readonly nginx: string | undefined };
  readonly maxRps: number | undefined;
  readonly maxLoad: string;
  readonly rate: number;
  readonly share: number;
  readonly connections: number;
  readonly windowS: number;
  readonly probe: boolean;
  /** The machine's noise floor at the start and the end (a spinning thread per CPU). */
  readonly noise: string;
  /** CPU time other programs used during the soak. */
  readonly othersCpu: string;
  readonly rssBeforeMiB: number | undefined;
  readonly rssEndMiB: number | undefined;
  readonly rssPeakMiB: number | undefined;
  readonly elapsedS: number;
  readonly notes: readonly string[];
}

const met = (ok: boolean, v: number | undefined) =>
  v === undefined ? "n/a" : ok ? "**met**" : "**not met**";
const signed = (v: number | undefined, unit = "%") =>
  v === undefined ? "n/a" : `${v > 0 ? "+" : ""}${v.toFixed(Math.abs(v) < 10 ? 2 : 1)}${unit}`;
const minutes = (s: number) => `${Math.round((s / 60) * 100) / 100}`;
/** µs for the summary: one decimal below 100, whole numbers above. */
const usText = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? "n/a" : v < 100 ? v.toFixed(1) : `${Math.round(v)}`;

export function markdown(
  info: SoakInfo,
  s: SoakSummary,
  windows: readonly WindowRecord[],
  header: string,
  lines: readonly string[],
): string {
  const m = info.machine;
  const f = s.first;
  const b = s.second;
  const range = (h: Half) => `min ${minutes(h.fromS)}–${minutes(h.toS)}`;
  const t = s.totals;
  const out = [
    "## Trellis soak (`npm run bench:soak`)",
    "",
    `- machine: ${m.cpuModel}, ${m.nproc} CPUs, ${m.memoryMiB} MiB RAM, Linux ${m.kernel}`,
    `- Node ${info.tools.node}; ${info.tools.wrk}; ${info.tools.nginx ?? "nginx"}`,
    `- ${info.pinning}`,
    `- date: ${m.date}; the run took ${minutes(info.elapsedS)} min`,
    `- machine noise (a thread spinning on each CPU, reading the clock, counts the time it did not run): ${info.noise}`,
    `- other programs (CPU time of the machine less the soak's own processes, interrupts left out): ${info.othersCpu}`,
    `- max load: ${info.maxLoad}`,
    `- soak: open loop at **${info.rate.toLocaleString("en-US")} requests/s** (${Math.round(info.share * 100)}% of max) ` +
      `for ${minutes(s.durationS)} min over ${info.connections} keep-alive connections to Trellis one hop ` +
      "(dtab `/svc/bench => /$/inet/127.0.0.1/<origin>`, Host: bench, nginx origin, the bundle dist/trellis.cjs); " +
      `latency in µs from each request's intended send time (no coordinated omission), per ${info.windowS} s window`,
    `- drift: the mean of the second half (${range(b)}) against the first (${range(f)}); the first ` +
      `${minutes(s.warmupS)} min are warm-up and left out`,
    info.probe
      ? "- the proxy ran with `node --import bench/soak/probe.mjs` (src/ unchanged): a perf_hooks event-loop-delay " +
        "histogram (10 ms timer) and a GC observer, read and reset by SIGUSR2 at the end of each window"
      : "- no probe in the proxy (--no-probe): no event-loop delay, heap or GC figures",
    ...info.notes.map((n) => `- note: ${n}`),
    "",
    "### Result",
    "",
    `| | ${range(f)} | ${range(b)} | drift | target | |`,
    "|---|--:|--:|--:|--:|---|",
    `| proxy RSS, mean of 1-s samples (MiB) | ${num(f.rssMeanMiB, 2)} | ${num(b.rssMeanMiB, 2)} | ` +
      `${signed(s.rssDriftPct)} | ±${DRIFT_TARGET_PCT}% | ${met(s.rssMet, s.rssDriftPct)} |`,
    `| p99 latency, mean of the ${info.windowS} s windows' p99 (µs) | ${usText(f.p99MeanUs)} | ${usText(b.p99MeanUs)} | ` +
      `${signed(s.p99DriftPct)} | ±${DRIFT_TARGET_PCT}% | ${met(s.p99Met, s.p99DriftPct)} |`,
    `| p99 latency, median of the windows' p99 (µs) | ${usText(f.p99MedianUs)} | ${usText(b.p99MedianUs)} | ` +
      `${signed(driftPct(f.p99MedianUs, b.p99MedianUs))} | | |`,
    `| p99 latency over all requests of the half (µs) | ${usText(f.latency.p99Us)} | ${usText(b.latency.p99Us)} | ` +
      `${signed(driftPct(f.latency.p99Us, b.latency.p99Us))} | | |`,
    `| p50 latency (µs) | ${usText(f.latency.p50Us)} | ${usText(b.latency.p50Us)} | ` +
      `${signed(driftPct(f.latency.p50Us, b.latency.p50Us))} | | |`,
    `| p99.9 latency (µs) | ${usText(f.latency.p999Us)} | ${usText(b.latency.p999Us)} | ` +
      `${signed(driftPct(f.latency.p999Us, b.latency.p999Us))} | | |`,
    `| max latency (µs) | ${usText(f.latency.maxUs)} | ${usText(b.latency.maxUs)} | | | |`,
    ...(info.probe
      ? [
          `| proxy V8 heap used, mean at window ends (MiB) | ${num(f.heapUsedMeanMiB, 2)} | ${num(b.heapUsedMeanMiB, 2)} | ` +
            `${signed(driftPct(f.heapUsedMeanMiB, b.heapUsedMeanMiB))} | | |`,
          `| proxy V8 heap total, mean at window ends (MiB) | ${num(f.heapTotalMeanMiB, 2)} | ${num(b.heapTotalMeanMiB, 2)} | ` +
            `${signed(driftPct(f.heapTotalMeanMiB, b.heapTotalMeanMiB))} | | |`,
        ]
      : []),
    `| requests answered | ${f.answered} | ${b.answered} | | | |`,
    "",
    `RSS and p99 flat (drift within ±${DRIFT_TARGET_PCT}%): **${s.rssMet && s.p99Met ? "met" : "not met"}** ` +
      `(RSS ${signed(s.rssDriftPct)}, p99 ${signed(s.p99DriftPct)}).`,
    "",
    "performance.md G8, for reference:",
    "",
    `- p99 variation between the post-warm-up windows: median window p99 ${usText(s.windowP99MedianUs)} µs, ` +
      `largest deviation ±${num(s.windowP99MaxDeviationPct)}% (target ±${WINDOW_P99_TARGET_PCT}%: ` +
      `${s.windowP99MaxDeviationPct === undefined ? "n/a" : s.windowP99MaxDeviationPct <= WINDOW_P99_TARGET_PCT ? "met" : "not met"}; ` +
      `${s.windowsOutside20Pct} of ${windows.filter((w) => w.endS > s.warmupS).length} windows outside)`,
    info.probe
      ? `- proxy event-loop delay p99 per window: median ${num(s.eldP99MedianMs, 2)} ms, largest ${num(s.eldP99MaxMs, 2)} ms ` +
        `(target ≤${ELD_P99_TARGET_MS} ms: ${s.eldP99MaxMs === undefined ? "n/a" : s.eldP99MaxMs <= ELD_P99_TARGET_MS ? "met" : "not met"})`
      : "- proxy event-loop delay: not measured (--no-probe)",
    `- RSS: ${num(info.rssBeforeMiB)} MiB before the soak (after the max-load run), ${num(info.rssEndMiB)} MiB at ` +
      `the end, peak ${num(info.rssPeakMiB)} MiB (VmHWM); least-squares slope after warm-up ` +
      `${signed(s.rssSlopeMiBPerMin, " MiB/min")}`,
    `- totals: ${t.scheduled} requests scheduled, ${t.good} good, ${t.bad} bad status, ${t.failed} failed; ` +
      `${t.meanRate} answered/s on average; ${t.reconnects} reconnects; over the whole run p50 ${usText(t.latency.p50Us)}, ` +
      `p99 ${usText(t.latency.p99Us)}, p99.9 ${usText(t.latency.p999Us)}, max ${usText(t.latency.maxUs)} µs`,
    `- the generator's own lag behind its timetable (included in the latencies): largest window p99 ` +
      `${usText(t.sendLagP99MaxUs)} µs, max ${usText(t.sendLagMaxUs)} µs; each window's latency p99 less its ` +
      `send-lag p99 (column "lag p99"): median ${usText(s.p99OverSendLagMedianUs)} µs, largest ` +
      `${usText(s.p99OverSendLagMaxUs)} µs (percentiles do not subtract exactly; a small figure beside a large p99 ` +
      "says the load side's lag is most of it)",
    "",
    `### Per-${info.windowS} s windows`,
    "",
    "Columns: requests due in the window that were answered 2xx/3xx, answered otherwise, and failed; answers per " +
      "second and as a share of the requested rate; latency from the intended send time; the generator's own send lag p99 (included in the latency); the proxy's VmRSS at the " +
      "window's end" +
      (info.probe
        ? "; from the probe, the V8 heap used/total (MiB) at the end, the event-loop delay p99/max and the GC pause " +
          "time in the window"
        : "") +
      "; the CPU other programs took during the window (% of one CPU). A `+` or `-` at the end marks a window " +
      "whose p99 is over 1.2× or under 0.8× the median of the earlier post-warm-up windows (slow_cooker's change " +
      "marker, roughly).",
    "",
    "```text",
    header,
    ...lines,
    "```",
    "",
  ];
  return out.join("\n");
}
