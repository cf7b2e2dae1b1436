// The discovery benchmark's report: its JSON shape and the Markdown tables written to bench/results/discovery-latest.md.

import type { Machine } from "../lib/machine.ts";
import type { Summary } from "./measure.ts";

export interface PropagationRow {
  readonly namer: string;
  readonly change: string;
  readonly summary: Summary;
}

export interface ScaleReport {
  readonly members: number;
  /** Seconds to write the members to ZooKeeper (the benchmark's own client, 500 writes in flight). */
  readonly writeSeconds: number;
  /** Spawn to the listening lines, ms. */
  readonly startMs: number;
  /** From listening to the first routed 200 (the binding reads the whole serverset), ms. */
  readonly bindMs: number;
  readonly rssListeningMiB: number;
  readonly rssBoundMiB: number;
  /** After `requests` more requests spread over the members. */
  readonly rssAfterTrafficMiB: number;
  readonly requests: number;
}

export interface DiscoveryReport {
  readonly machine: Machine;
  readonly trellisBuild: string;
  readonly zookeeper: string;
  readonly probe: { readonly concurrency: number; readonly rps: Record<string, number> };
  readonly quietMs: number;
  readonly propagation: readonly PropagationRow[];
  /** The same proxy's cold bind with one member, for comparison. */
  readonly oneMember: { readonly startMs: number; readonly bindMs: number; readonly rssBoundMiB: number };
  readonly scale: ScaleReport;
  readonly probeErrors: Record<string, unknown>;
}

const ms = (v: number | undefined) => (v === undefined ? "-" : v < 10 ? v.toFixed(2) : v.toFixed(1));
const int = (v: number) => Math.round(v).toLocaleString("en-US");

export function markdown(r: DiscoveryReport): string {
  const m = r.machine;
  const lines = [
    `Discovery benchmark. Machine: ${m.cpuModel}, ${m.nproc} cores; Node ${m.node}; ${r.zookeeper}; ` +
      `Trellis from its ${r.trellisBuild}; ${m.date}. Everything on one machine, other jobs running.`,
    "",
    "How long a membership change takes to reach routing through a running `trellis proxy`: from the completion",
    "of the write (ZooKeeper's answer to the create/setData/delete; `writeFileSync` returning) to the first",
    `request arriving at the member (added), or to the last one arriving there before ${r.quietMs} ms without any`,
    `(removed). Traffic: ${r.probe.concurrency} keep-alive clients back to back ` +
      `(${Object.entries(r.probe.rps)
        .map(([k, v]) => `${k} ${int(v)} rps`)
        .join(", ")}), so a request reaches a member every millisecond or so.`,
    "",
    "| namer | change | samples | p50 ms | p90 ms | p99 ms | max ms |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...r.propagation.map(
      (p) =>
        `| ${p.namer} | ${p.change} | ${p.summary.samples}${p.summary.lost > 0 ? ` (${p.summary.lost} lost)` : ""} | ` +
        `${ms(p.summary.p50)} | ${ms(p.summary.p90)} | ${ms(p.summary.p99)} | ${ms(p.summary.max)} |`,
    ),
    "",
    `${int(r.scale.members)} members in one serverset (each its own 127.0.0.1 port, every one a live backend):`,
    "",
    `| | 1 member | ${int(r.scale.members)} members |`,
    "| --- | ---: | ---: |",
    `| proxy start (spawn to listening), ms | ${int(r.oneMember.startMs)} | ${int(r.scale.startMs)} |`,
    `| bind: listening to the first routed 200, ms | ${int(r.oneMember.bindMs)} | ${int(r.scale.bindMs)} |`,
    `| proxy RSS once bound, MiB | ${r.oneMember.rssBoundMiB.toFixed(1)} | ${r.scale.rssBoundMiB.toFixed(1)} |`,
    "",
    `With ${int(r.scale.members)} members: RSS ${r.scale.rssListeningMiB.toFixed(1)} MiB listening, ` +
      `${r.scale.rssBoundMiB.toFixed(1)} MiB bound, ${r.scale.rssAfterTrafficMiB.toFixed(1)} MiB after ` +
      `${int(r.scale.requests)} requests spread over the members; writing them to ZooKeeper took ` +
      `${r.scale.writeSeconds.toFixed(1)} s.`,
    "",
  ];
  return lines.join("\n");
}
