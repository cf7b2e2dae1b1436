// The namerd benchmark's report: its JSON shape and the Markdown tables written to bench/results/namerd-latest.md.

import type { Summary } from "../discovery/measure.ts";
import type { ForeignLoad } from "../lib/foreign-load.ts";
import type { Machine } from "../lib/machine.ts";
import type { InterpreterKind } from "./fleet.ts";

/** One fleet size of one interpreter: how long dtab updates took to reach routing. */
export interface PropagationSeries {
  readonly interpreter: InterpreterKind;
  readonly proxies: number;
  /** Dtab updates made. */
  readonly updates: number;
  /** Each proxy's time from the update's 2xx to its first request routed by the new dtab, over every update. */
  readonly perProxy: Summary;
  /** Per update, the time until the last proxy of the fleet routed by it. */
  readonly wholeFleet: Summary;
  /** The same requests with no update: the time the probe's own burst takes to reach a backend. */
  readonly floor: Summary;
  readonly namerdRssMiB: number;
  /** The median proxy's RSS at the end of the series. */
  readonly proxyRssMiB: number;
  /** Seconds to start the proxies added for this size (parallel batches). */
  readonly startSeconds: number;
}

export interface WatchedReport {
  readonly names: number;
  readonly cache: string;
  readonly namerdRssIdleMiB: number;
  readonly namerdRssWatchedMiB: number;
  readonly namerdRssAfterChangeMiB: number;
  readonly namerdRssReleasedMiB: number;
  readonly namerdPeakMiB: number;
  /** From the first bind to every name bound with its addresses, ms. */
  readonly bindAllMs: number;
  /** From the 2xx of a dtab update that changes every name's binding to every watch having the new one, ms. */
  readonly changeAllMs: number;
}

export interface NamerdReport {
  readonly machine: Machine;
  readonly trellisBuild: string;
  readonly storage: string;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly foreignLoad: ForeignLoad;
  readonly propagation: readonly PropagationSeries[];
  readonly watched: WatchedReport | undefined;
}

const ms = (v: number | undefined) => (v === undefined ? "-" : v < 10 ? v.toFixed(2) : v.toFixed(1));
const mib = (v: number) => v.toFixed(1);
const int = (v: number) => Math.round(v).toLocaleString("en-US");
const lost = (s: Summary) => (s.lost > 0 ? ` (${s.lost} lost)` : "");

export function markdown(r: NamerdReport): string {
  const m = r.machine;
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const lines = [
    `namerd benchmark. Machine: ${m.cpuModel}, ${m.nproc} cores, ${int(m.memoryMiB)} MiB; Node ${m.node}; ` +
      `Trellis from its ${r.trellisBuild}; namerd storage ${r.storage}; ${m.date}. Everything on one machine, ` +
      `other jobs running: load average ${load(r.loadAverage.start)} at the start, ${load(r.loadAverage.end)} at ` +
      `the end; other programs used ${(r.foreignLoad.foreignShareOfOneCpu * 100).toFixed(0)}% of one CPU over ` +
      `the run's ${int(r.foreignLoad.seconds)} s.`,
    "",
    "How long a dtab update made through namerd's HTTP API (`PUT /api/1/dtabs/default`) takes to reach routing in",
    "every proxy watching it: from the 2xx of the update to the first request each proxy routes by the new dtab",
    "(its arrival at the new backend). Each proxy is a `trellis proxy` with one router whose interpreter asks",
    "namerd; right after the 2xx the benchmark sends requests through every proxy at once, back to back, one",
    "connection per proxy, until each answers from the new backend. The floor is the same burst without an update:",
    "how long the requests themselves take to get through while the fleet wakes up; the rest is propagation.",
    "",
    "| interpreter | proxies | updates | per proxy p50 ms | p99 ms | max ms | whole fleet p50 ms | p99 ms | max ms | floor p50 ms | floor p99 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.propagation.map(
      (s) =>
        `| ${s.interpreter} | ${s.proxies} | ${s.updates}${lost(s.perProxy)} | ${ms(s.perProxy.p50)} | ` +
        `${ms(s.perProxy.p99)} | ${ms(s.perProxy.max)} | ${ms(s.wholeFleet.p50)} | ${ms(s.wholeFleet.p99)} | ` +
        `${ms(s.wholeFleet.max)} | ${ms(s.floor.p50)} | ${ms(s.floor.p99)} |`,
    ),
    "",
    "| interpreter | proxies | started in s | namerd RSS MiB | median proxy RSS MiB |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...r.propagation.map(
      (s) =>
        `| ${s.interpreter} | ${s.proxies} | ${s.startSeconds.toFixed(1)} | ${mib(s.namerdRssMiB)} | ${mib(s.proxyRssMiB)} |`,
    ),
    "",
  ];
  const w = r.watched;
  if (w !== undefined) {
    lines.push(
      `namerd with ${int(w.names)} distinct names watched through its thrift interface (interpreter io.l5d.namerd,`,
      "one ThriftMux connection; each name's `bind` long-polled, and the `addr` of the id it is bound to), with",
      `its caches sized for them (${w.cache}):`,
      "",
      "| | namerd RSS MiB |",
      "| --- | ---: |",
      `| idle, the namespace created | ${mib(w.namerdRssIdleMiB)} |`,
      `| ${int(w.names)} names watched | ${mib(w.namerdRssWatchedMiB)} |`,
      `| after an update that rebinds every name | ${mib(w.namerdRssAfterChangeMiB)} |`,
      `| the client gone (idle watches stay up to bindingCacheInactiveTTLSecs, 600 s) | ${mib(w.namerdRssReleasedMiB)} |`,
      `| peak (VmHWM) | ${mib(w.namerdPeakMiB)} |`,
      "",
      `Binding all ${int(w.names)} names took ${int(w.bindAllMs)} ms; an update that changes every binding reached ` +
        `all ${int(w.names)} watches ${int(w.changeAllMs)} ms after its 2xx. ` +
        `${(((w.namerdRssWatchedMiB - w.namerdRssIdleMiB) * 1024) / w.names).toFixed(1)} KiB of namerd's RSS per watched name.`,
      "",
    );
  }
  return lines.join("\n");
}
