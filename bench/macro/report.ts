// The proxy benchmark's results: their shape (also written as JSON), derived ratios, and the Markdown report.

import type { Machine } from "../lib/machine.ts";
import type { WrkResult } from "../lib/wrk.ts";

export type Kind = "direct" | "trellis-1hop" | "trellis-2hop" | "nginx-proxy";
export type Origin = "node" | "nginx";

export const KIND_LABEL: Record<Kind, string> = {
  direct: "direct",
  "trellis-1hop": "Trellis 1 hop",
  "trellis-2hop": "Trellis 2 hops",
  "nginx-proxy": "nginx proxy (1 worker)",
};

/** wrk's numbers without its raw output. */
export type Load = Omit<WrkResult, "raw">;

export interface Memory {
  readonly process: string;
  readonly pid: number;
  /** VmRSS after start, before any load. */
  readonly idleMiB: number;
  /** VmRSS right after the c32 run. */
  readonly afterLoadMiB: number;
  /** VmHWM (peak RSS) at the end of the case. */
  readonly peakMiB: number;
}

export interface CaseResult {
  readonly kind: Kind;
  readonly origin: Origin;
  readonly label: string;
  readonly error?: string;
  readonly c32?: Load;
  readonly c1?: Load;
  readonly memory: readonly Memory[];
  /** rps ÷ direct rps (same origin), c32. */
  ratioToDirect?: number;
  /** rps ÷ nginx-proxy rps (same origin), c32. */
  ratioToNginx?: number;
  /** Latency added over direct to the same origin, in ms, at c32 and at c1. */
  addedC32?: { p50Ms: number; p90Ms: number; p99Ms: number };
  addedC1?: { p50Ms: number; p90Ms: number; p99Ms: number };
}

export interface Setup {
  readonly wrk: string;
  readonly nginx: string | undefined;
  readonly c32: { threads: number; connections: number; durationS: number };
  readonly c1: { threads: number; connections: number; durationS: number };
  readonly warmupS: number;
  readonly bodyBytes: number;
  readonly pinning: string;
  readonly notes: readonly string[];
}

export interface Aim {
  readonly what: string;
  readonly value: string;
  readonly aim: string;
  readonly met: boolean | undefined;
}

export interface Report {
  readonly benchmark: "proxy";
  readonly machine: Machine;
  readonly setup: Setup;
  readonly cases: readonly CaseResult[];
  readonly aims: readonly Aim[];
  readonly elapsedS: number;
}

/** Fills in each case's ratios and added latency against the direct and nginx-proxy cases of its origin. */
export function derive(cases: CaseResult[]): void {
  for (const c of cases) {
    const direct = cases.find((d) => d.origin === c.origin && d.kind === "direct" && d.c32 !== undefined);
    const nginx = cases.find((d) => d.origin === c.origin && d.kind === "nginx-proxy" && d.c32 !== undefined);
    if (c.c32 === undefined) continue;
    if (direct?.c32) {
      c.ratioToDirect = round4(c.c32.rps / direct.c32.rps);
      c.addedC32 = added(c.c32, direct.c32);
    }
    if (nginx?.c32) c.ratioToNginx = round4(c.c32.rps / nginx.c32.rps);
    if (c.c1 && direct?.c1) c.addedC1 = added(c.c1, direct.c1);
  }
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

function added(l: Load, base: Load): { p50Ms: number; p90Ms: number; p99Ms: number } {
  const d = (a: number, b: number) => Math.round((a - b) * 1e6) / 1e6;
  return { p50Ms: d(l.p50Ms, base.p50Ms), p90Ms: d(l.p90Ms, base.p90Ms), p99Ms: d(l.p99Ms, base.p99Ms) };
}

/** The aims of the task and of performance.md §7 that this run speaks to, for Trellis one hop (Node origin). */
export function aims(cases: readonly CaseResult[]): Aim[] {
  const one =
    cases.find((c) => c.kind === "trellis-1hop" && c.origin === "node" && c.c32) ??
    cases.find((c) => c.kind === "trellis-1hop" && c.c32);
  if (one === undefined) return [];
  const out: Aim[] = [];
  const where = `(${one.origin} origin)`;
  if (one.addedC1)
    out.push({
      what: `one hop: added p99 at 1 connection ${where}`,
      value: `${signed(one.addedC1.p99Ms)} ms`,
      aim: "< 1 ms",
      met: one.addedC1.p99Ms < 1,
    });
  if (one.addedC32)
    out.push({
      what: `one hop: added p99 at 32 connections, saturated ${where}`,
      value: `${signed(one.addedC32.p99Ms)} ms`,
      aim: "< 1 ms (the aim is for moderate load; this is closed-loop saturation)",
      met: one.addedC32.p99Ms < 1,
    });
  if (one.addedC1)
    out.push({
      what: `one hop: added p50 at 1 connection (G3) ${where}`,
      value: `${Math.round(one.addedC1.p50Ms * 1000)} µs`,
      aim: "target ≤ 60 µs, floor ≤ 100 µs",
      met: one.addedC1.p50Ms <= 0.06,
    });
  const idle = one.memory[0]?.idleMiB;
  if (idle !== undefined)
    out.push({ what: "one hop: RSS idle", value: `${idle.toFixed(1)} MB`, aim: "< 60 MB", met: idle < 60 });
  const after = one.memory[0]?.afterLoadMiB;
  if (after !== undefined)
    out.push({
      what: "one hop: RSS after c32 load (G5 saturated)",
      value: `${after.toFixed(1)} MB`,
      aim: "target ≤ 110 MB, floor ≤ 140 MB",
      met: after <= 110,
    });
  if (one.ratioToNginx !== undefined)
    out.push({
      what: `one hop: rps ÷ nginx proxy (G1) ${where}`,
      value: `${one.ratioToNginx.toFixed(2)}×`,
      aim: "target ≥ 0.65×, floor ≥ 0.50×",
      met: one.ratioToNginx >= 0.65,
    });
  if (one.ratioToDirect !== undefined)
    out.push({
      what: `one hop: rps ÷ direct (G1b) ${where}`,
      value: `${one.ratioToDirect.toFixed(2)}×`,
      aim: "target ≥ 0.35×, floor ≥ 0.27×",
      met: one.ratioToDirect >= 0.35,
    });
  return out;
}

function ms(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "—";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(3);
}

function signed(v: number | undefined): string {
  if (v === undefined) return "—";
  return v >= 0 ? `+${ms(v)}` : ms(v);
}

function rps(v: number | undefined): string {
  if (v === undefined) return "—";
  return v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
}

function ratio(v: number | undefined): string {
  return v === undefined ? "—" : `${v.toFixed(2)}×`;
}

function mem(m: readonly Memory[], pick: (x: Memory) => number): string {
  if (m.length === 0) return "—";
  return m.map((x) => pick(x).toFixed(1)).join(" + ");
}

function errs(c: CaseResult): string {
  const n = (c.c32?.errors ?? 0) + (c.c1?.errors ?? 0);
  return n === 0 ? "0" : String(n);
}

export function markdown(r: Report): string {
  const m = r.machine;
  const s = r.setup;
  const lines: string[] = [];
  lines.push("## Trellis proxy benchmark (`npm run bench:proxy`)", "");
  lines.push(`- machine: ${m.cpuModel}, nproc ${m.nproc}, ${m.memoryMiB} MiB RAM, Linux ${m.kernel}`);
  lines.push(`- Node ${m.node}; ${s.wrk}; ${s.nginx ?? "nginx not available"}`);
  lines.push(`- date: ${m.date} (run took ${r.elapsedS.toFixed(0)} s)`);
  lines.push(
    `- load: \`wrk -t${s.c32.threads} -c${s.c32.connections} -d${s.c32.durationS}s --latency\` (closed loop), then ` +
      `\`-c${s.c1.connections} -d${s.c1.durationS}s\`; ${s.warmupS} s warm-up per case; ${s.bodyBytes}-byte body; ` +
      `Host: bench; loopback; ${s.pinning}`,
  );
  for (const n of s.notes) lines.push(`- ${n}`);
  lines.push("");
  lines.push(
    "| case | origin | rps c32 | ÷ direct | ÷ nginx | p50 | p90 | p99 | +p50 | +p99 | rps c1 | p50 c1 | p99 c1 | +p50 c1 | +p99 c1 | RSS idle MB | RSS after MB | peak MB | errors |",
  );
  lines.push("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const c of r.cases) {
    if (c.error !== undefined && c.c32 === undefined) {
      lines.push(`| ${c.label} | ${c.origin} | failed: ${c.error.split("\n")[0]?.replaceAll("|", "/")} |`);
      continue;
    }
    const row = [
      c.label,
      c.origin,
      rps(c.c32?.rps),
      c.kind === "direct" ? "1" : ratio(c.ratioToDirect),
      c.kind === "nginx-proxy" ? "1" : ratio(c.ratioToNginx),
      ms(c.c32?.p50Ms),
      ms(c.c32?.p90Ms),
      ms(c.c32?.p99Ms),
      c.kind === "direct" ? "" : signed(c.addedC32?.p50Ms),
      c.kind === "direct" ? "" : signed(c.addedC32?.p99Ms),
      rps(c.c1?.rps),
      ms(c.c1?.p50Ms),
      ms(c.c1?.p99Ms),
      c.kind === "direct" ? "" : signed(c.addedC1?.p50Ms),
      c.kind === "direct" ? "" : signed(c.addedC1?.p99Ms),
      mem(c.memory, (x) => x.idleMiB),
      mem(c.memory, (x) => x.afterLoadMiB),
      mem(c.memory, (x) => x.peakMiB),
      errs(c),
    ];
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("");
  lines.push(
    "Latencies in ms as wrk reports them; `+` = added over direct to the same origin; ÷ = rps ratio to the " +
      "same origin's direct / nginx-proxy case at c32. RSS: VmRSS of the proxy process(es) idle after start and " +
      "right after the c32 run, and VmHWM (peak) at the end; two hops list sidecar A + sidecar B; nginx is " +
      "master + worker.",
  );
  if (r.aims.length > 0) {
    lines.push("", "| metric | measured | aim | met |", "|---|--:|---|---|");
    for (const a of r.aims) lines.push(`| ${a.what} | ${a.value} | ${a.aim} | ${a.met ? "yes" : "no"} |`);
  }
  const failed = r.cases.filter((c) => c.error !== undefined);
  if (failed.length > 0) {
    lines.push("", "Failures:");
    for (const c of failed)
      lines.push(`- ${c.label} (${c.origin} origin): ${c.error?.trim().replaceAll("\n", "\n  ")}`);
  }
  const withErrors = r.cases.filter((c) => (c.c32?.errors ?? 0) + (c.c1?.errors ?? 0) > 0);
  for (const c of withErrors)
    lines.push(
      `- ${c.label} (${c.origin}): wrk errors: ${[c.c32?.errorText, c.c1?.errorText].filter(Boolean).join("; ")}`,
    );
  return `${lines.join("\n")}\n`;
}
