// The suite's report: its JSON shape, the issue's targets checked against it, and the Markdown tables.

import type { ForeignLoad } from "../lib/foreign-load.ts";
import type { Hiccups } from "../lib/hiccups.ts";
import type { Machine } from "../lib/machine.ts";
import { ratio } from "../lib/stats.ts";
import type { ClosedCase, ClosedResult } from "./closed.ts";
import { OTHER_LOAD_LIMIT, type Section, type Settings } from "./context.ts";
import type { MemoryResult } from "./memory.ts";
import type { OpenResult, OpenRun } from "./open.ts";
import type { ScaleResult } from "./scale.ts";
import { type Case, LABEL, NODE_PROXIES } from "./services.ts";

export interface Tools {
  readonly node: string;
  readonly wrk: string;
  readonly nginx: string | undefined;
  readonly haproxy: string | undefined;
  /** The Node proxy libraries' versions ("http-proxy 1.18.1", "undici 8.13.1"), when installed. */
  readonly httpProxy?: string | undefined;
  readonly undici?: string | undefined;
}

/** The machine's noise floor measured by bench/lib/hiccups.ts on one CPU. */
export interface Noise extends Hiccups {
  readonly when: "start" | "end";
  readonly cpu: string;
}

export interface Target {
  readonly what: string;
  readonly measured: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

export interface SuiteReport {
  readonly benchmark: "suite";
  readonly machine: Machine;
  readonly tools: Tools;
  /** What `bin/trellis.js` ran: dist/trellis.cjs, or the TypeScript sources (src/ newer than the bundle). */
  readonly trellisBuild: "bundle" | "rebuilt" | "changed during the run";
  readonly pinned: boolean;
  readonly pinning: string;
  readonly settings: Settings;
  readonly noise: readonly Noise[];
  /** CPU other programs used during each section (not the suite's processes). */
  readonly foreign: Partial<Record<Section, ForeignLoad>>;
  readonly elapsedS: number;
  /** Seconds each section took. */
  readonly sectionS?: Partial<Record<Section, number>>;
  readonly closed?: ClosedResult;
  readonly open?: OpenResult;
  readonly memory?: MemoryResult;
  readonly scale?: ScaleResult;
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Formatting.

const DASH = "—";

export function fmtRps(v: number | undefined): string {
  if (v === undefined) return DASH;
  return v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
}

export function fmtUs(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 10_000) return `${(v / 1000).toFixed(1)} ms`;
  return a >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function signedUs(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return DASH;
  return v >= 0 ? `+${fmtUs(v)}` : fmtUs(v);
}

/** A signed µs figure with its unit (fmtUs switches to ms from 10 ms). */
function signedWithUnit(v: number | undefined): string {
  const t = signedUs(v);
  return t === DASH || t.endsWith("ms") ? t : `${t} µs`;
}

function fmtRatio(v: number | undefined): string {
  return v === undefined ? DASH : `${v.toFixed(2)}×`;
}

/** A share of one CPU as a percentage. */
function fmtLoad(v: number | undefined): string {
  return v === undefined ? DASH : `${(v * 100).toFixed(0)}%`;
}

function fmtMiB(v: number | undefined): string {
  return v === undefined ? DASH : v.toFixed(1);
}

function cell(s: string): string {
  return s.replaceAll("|", "/").replaceAll("\n", " ");
}

function table(head: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]) {
  return [
    `| ${head.join(" | ")} |`,
    `|${align.map((a) => (a === "r" ? "--:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Targets (issue 4), for Trellis one hop.

function openRun(r: SuiteReport, kind: Case, rate: number): OpenRun | undefined {
  return r.open?.runs.find((x) => x.kind === kind && x.rate === rate && x.result !== undefined);
}

function closedCase(r: SuiteReport, kind: Case): ClosedCase | undefined {
  return r.closed?.cases.find((c) => c.kind === kind);
}

export function targets(r: Omit<SuiteReport, "targets">): Target[] {
  const rep = r as SuiteReport;
  const out: Target[] = [];
  const add = (
    what: string,
    value: number | undefined,
    text: string,
    target: string,
    ok: (v: number) => boolean,
  ) =>
    out.push({
      what,
      measured: value === undefined ? DASH : text,
      target,
      met: value === undefined ? undefined : ok(value),
    });

  const t = closedCase(rep, "trellis");
  const c32 = t?.points.find((p) => p.connections === 32);
  add(
    "one hop rps ÷ nginx (c32)",
    c32?.ratioToNginx,
    fmtRatio(c32?.ratioToNginx),
    "≥ 0.50×",
    (v) => v >= 0.5,
  );
  const node = closedCase(rep, "node")?.points.find((p) => p.connections === 32);
  if (c32?.rps !== undefined && node?.rps !== undefined) {
    const x = c32.rps / node.rps;
    add("one hop rps ÷ Node pass-through (c32)", x, fmtRatio(x), "≥ 2× (0.5× vs 0.3× nginx)", (v) => v >= 2);
  }
  // "Ahead of every Node proxy library a user might pick instead."
  for (const kind of NODE_PROXIES.filter((k) => k !== "node")) {
    const lib = closedCase(rep, kind)?.points.find((p) => p.connections === 32);
    if (c32?.rps === undefined || lib?.rps === undefined) continue;
    const x = c32.rps / lib.rps;
    add(`one hop rps ÷ ${LABEL[kind]} (c32)`, x, fmtRatio(x), "> 1× (ahead of it)", (v) => v > 1);
  }
  const bare = closedCase(rep, "trellis-bare")?.points.find((p) => p.connections === 32);
  const featurePair = rep.scale?.pairs.find((p) => p.target === "feature");
  if (c32?.rps !== undefined && bare?.rps !== undefined) {
    const x = c32.rps / bare.rps;
    if (featurePair === undefined)
      add(
        "feature cost: one hop rps ÷ Trellis bare pass-through (c32)",
        x,
        fmtRatio(x),
        "≥ 0.90×",
        (v) => v >= 0.9,
      );
    else
      out.push({
        what: "feature cost, closed loop: one hop rps ÷ Trellis bare pass-through (c32; for reference)",
        measured: fmtRatio(x),
        target: "the side-by-side figure below decides",
        met: undefined,
      });
  }
  if (featurePair !== undefined)
    add(
      `feature cost, side by side: one hop rps ÷ Trellis bare pass-through (c32, ${featurePair.baselineRuns.length} alternating runs)`,
      featurePair.ratio,
      fmtRatio(featurePair.ratio),
      "≥ 0.90×",
      (v) => v >= 0.9,
    );
  const c1 = t?.points.find((p) => p.connections === 1);
  add(
    "added p50 at 1 connection (closed loop)",
    c1?.addedP50Us,
    signedWithUnit(c1?.addedP50Us),
    "≤ 60 µs",
    (v) => v <= 60,
  );
  const o1 = openRun(rep, "trellis", 1000)?.added;
  add("added p50 at 1,000 rps", o1?.p50Us, signedWithUnit(o1?.p50Us), "≤ 200 µs", (v) => v <= 200);
  add("added p99 at 1,000 rps", o1?.p99Us, signedWithUnit(o1?.p99Us), "≤ 500 µs", (v) => v <= 500);
  add("added p99.9 at 1,000 rps", o1?.p999Us, signedWithUnit(o1?.p999Us), "≤ 5 ms", (v) => v <= 5000);
  const o5 = openRun(rep, "trellis", 5000)?.added;
  add("added p99 at 5,000 rps", o5?.p99Us, signedWithUnit(o5?.p99Us), "≤ 2 ms", (v) => v <= 2000);
  const idle = t?.idleMiB ?? rep.memory?.connections.find((c) => c.kind === "trellis")?.idleMiB;
  add("RSS idle", idle, `${fmtMiB(idle)} MiB`, "≤ 50 MB", (v) => v <= 50);
  const rss1k = openRun(rep, "trellis", 1000)?.rssMiB;
  add("RSS at 1,000 rps", rss1k, `${fmtMiB(rss1k)} MiB`, "≤ 70 MB", (v) => v <= 70);
  add("RSS saturated (c32)", t?.saturatedMiB, `${fmtMiB(t?.saturatedMiB)} MiB`, "≤ 110 MB", (v) => v <= 110);
  const held = rep.memory?.connections.find((c) => c.kind === "trellis")?.points;
  const perConn = held?.at(-1)?.perConnectionKiB;
  add(
    `RSS per idle connection (${held?.at(-1)?.target ?? "4000"} held)`,
    perConn,
    `${perConn?.toFixed(1)} KiB`,
    "≤ 20 KB",
    (v) => v <= 20,
  );
  const plain = rep.memory?.startup.find((s) => s.kind === "trellis" && s.config === "plain")?.ms;
  add("exec to first proxied response", plain, `${plain?.toFixed(0)} ms`, "≤ 120 ms", (v) => v <= 120);
  const big = rep.memory?.startup.find((s) => s.kind === "trellis" && s.config !== "plain")?.ms;
  add("same, 1,000 dentries + 1,000 endpoints", big, `${big?.toFixed(0)} ms`, "≤ 250 ms", (v) => v <= 250);
  for (const p of rep.scale?.pairs ?? []) {
    // Rows without a target (nginx's, the union of bound names) are there for context; the feature pair's is above.
    if (p.target !== "5%") continue;
    const cost = p.ratio === undefined ? undefined : 1 - p.ratio;
    add(
      `throughput cost of ${p.variant} (vs ${p.baseline})`,
      cost,
      `${cost === undefined ? DASH : (cost * 100).toFixed(1)}%`,
      "≤ 5%",
      (v) => v <= 0.05,
    );
  }
  const sc = rep.scale?.scrape?.addedP99Us;
  add(
    "p99 added by scraping metrics every 1 s (1,000 names)",
    sc,
    signedWithUnit(sc),
    "≤ 1 ms",
    (v) => v <= 1000,
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Markdown.

function header(r: SuiteReport): string[] {
  const m = r.machine;
  const s = r.settings;
  return [
    "## Trellis benchmark suite (`npm run bench`)",
    "",
    `- machine: ${m.cpuModel}, ${m.nproc} CPUs, ${m.memoryMiB} MiB RAM, Linux ${m.kernel}`,
    `- Node ${r.tools.node}; ${r.tools.wrk}; ${r.tools.nginx ?? "nginx missing"}; ${r.tools.haproxy ?? "HAProxy missing"}; ` +
      `${r.tools.httpProxy ?? "http-proxy missing"}; ${r.tools.undici ?? "undici missing"}`,
    `- Trellis: \`node bin/trellis.js\` ran ${
      r.trellisBuild === "bundle"
        ? "the bundle (dist/trellis.cjs)"
        : r.trellisBuild === "rebuilt"
          ? "the bundle (dist/trellis.cjs, rebuilt from src/ at the start)"
          : "the bundle built at the start, though src/ changed during the run"
    }`,
    `- ${r.pinning}`,
    `- date: ${m.date}; the run took ${(r.elapsedS / 60).toFixed(1)} min${s.quick ? " (--quick)" : ""}` +
      (r.sectionS === undefined || Object.keys(r.sectionS).length === 0
        ? ""
        : ` (${Object.entries(r.sectionS)
            .map(([k, v]) => `${k} ${((v ?? 0) / 60).toFixed(1)}`)
            .join(", ")} min)`),
    `- closed loop and scale: median of ${s.runs} run${s.runs === 1 ? "" : "s"} (every case started once and warmed up, then the runs go round the cases); ` +
      `open loop: one run of ${s.open.durationS} s per case and rate (after a warm-up at the same rate: ` +
      `${s.open.warmupS} s for a case's first rate, ${s.open.warmupAfterS} s for the next, the proxy being warm), ` +
      "percentiles over all its requests",
    "- origin: nginx (1 worker, `return 200`, 12-byte body) unless said otherwise; Host: bench; loopback only",
    ...(Object.keys(r.foreign).length === 0
      ? []
      : [
          "- other programs' CPU use during each section (the machine's busy time minus the suite's own, " +
            "as a share of one CPU; anything but ~0 skews the figures): " +
            Object.entries(r.foreign)
              .map(([k, f]) => `${k} ${((f?.foreignShareOfOneCpu ?? 0) * 100).toFixed(0)}%`)
              .join(", "),
        ]),
    ...(r.noise.length === 0
      ? []
      : [
          "- machine noise (a thread spinning on each CPU, reading the clock, counts the time it did not run): " +
            r.noise
              .map(
                (n) =>
                  `${n.when}, CPU ${n.cpu}: ${(n.lostShare * 100).toFixed(1)}% lost, ` +
                  `${n.over1msPerS} gaps > 1 ms per s, longest ${n.maxMs} ms`,
              )
              .join("; "),
        ]),
    ...r.notes.map((n) => `- ${n}`),
  ];
}

function maxOf(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : Math.max(...v);
}

function closedTables(r: SuiteReport, c: ClosedResult): string[] {
  const s = r.settings.closed;
  const conns = c.cases[0]?.points.map((p) => p.connections) ?? [];
  const out: string[] = [
    "",
    `### Closed loop: requests/s (wrk -t1, ${s.durationS} s per point, nginx origin)`,
    "",
  ];
  out.push(
    ...table(
      ["case", ...conns.map((n) => `c${n}`), "p50 c1 µs", "+p50 c1 µs", "p99 c32 µs", "errors", "other load"],
      ["l", ...conns.map(() => "r" as const), "r", "r", "r", "r", "r"],
      c.cases.map((k) => {
        const at = (n: number) => k.points.find((p) => p.connections === n);
        const errors = k.points.reduce((n, p) => n + p.errors, 0) + k.errors.length;
        return [
          k.label,
          ...conns.map((n) => fmtRps(at(n)?.rps)),
          fmtUs(at(1)?.p50Us),
          k.kind === "direct" ? "" : signedUs(at(1)?.addedP50Us),
          fmtUs(at(32)?.p99Us),
          k.errors.length > 0 ? `${errors} (failed runs: ${k.errors.length})` : String(errors),
          fmtLoad(maxOf(k.points.map((p) => p.otherLoad))),
        ];
      }),
    ),
  );
  out.push(
    "",
    "other load: the most that other programs used of one CPU during one of the runs kept (a run they " +
      `disturbed by more than ${OTHER_LOAD_LIMIT * 100}% is taken again, twice at most).`,
  );
  out.push("", "Ratios (same connection count):", "");
  out.push(
    ...table(
      ["case", ...conns.map((n) => `÷ direct c${n}`), ...conns.map((n) => `÷ nginx c${n}`)],
      ["l", ...conns.map(() => "r" as const), ...conns.map(() => "r" as const)],
      c.cases.map((k) => [
        k.label,
        ...conns.map((n) => fmtRatio(k.points.find((p) => p.connections === n)?.ratioToDirect)),
        ...conns.map((n) => fmtRatio(k.points.find((p) => p.connections === n)?.ratioToNginx)),
      ]),
    ),
  );
  const trellis = c.cases.find((k) => k.kind === "trellis");
  const nodeProxies = c.cases.filter((k) => (NODE_PROXIES as readonly Case[]).includes(k.kind));
  if (trellis !== undefined && nodeProxies.length > 0) {
    out.push("", "Trellis one hop ÷ each Node proxy (same connection count; above 1× Trellis is ahead):", "");
    out.push(
      ...table(
        ["Trellis, 1 hop ÷", ...conns.map((n) => `c${n}`)],
        ["l", ...conns.map(() => "r" as const)],
        nodeProxies.map((k) => [
          k.label,
          ...conns.map((n) =>
            fmtRatio(
              ratio(
                trellis.points.find((p) => p.connections === n)?.rps,
                k.points.find((p) => p.connections === n)?.rps,
              ),
            ),
          ),
        ]),
      ),
    );
  }
  if (c.nodeOrigin.length > 0) {
    out.push("", `### Closed loop with a Node origin (node:http; c32, ${s.durationS} s)`, "");
    out.push(
      ...table(
        ["case", "rps c32", "÷ direct", "÷ nginx", "p99 µs"],
        ["l", "r", "r", "r", "r"],
        c.nodeOrigin.map((k) => {
          const p = k.points[0];
          return [
            k.label,
            fmtRps(p?.rps),
            fmtRatio(p?.ratioToDirect),
            fmtRatio(p?.ratioToNginx),
            fmtUs(p?.p99Us),
          ];
        }),
      ),
    );
  }
  return out;
}

function openTables(r: SuiteReport, o: OpenResult): string[] {
  const s = r.settings.open;
  const out: string[] = [];
  for (const rate of s.rates) {
    const runs = o.runs.filter((x) => x.rate === rate);
    if (runs.length === 0) continue;
    out.push(
      "",
      `### Open loop at ${rate.toLocaleString("en-US")} rps: latency in µs from the intended send time ` +
        `(${s.durationS} s, ${s.connections} connections)`,
      "",
    );
    out.push(
      ...table(
        [
          "case",
          "p50",
          "p99",
          "p99.9",
          "max",
          "+p50",
          "+p99",
          "+p99.9",
          "+max",
          "achieved rps",
          "errors",
          "other load",
        ],
        ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
        runs.map((x) => {
          if (x.result === undefined) return [x.label, `failed: ${(x.error ?? "").split("\n")[0]}`];
          const l = x.result.latency;
          const e = x.result.errors;
          const errors = e.status + e.connection + e.parse + e.unfinished;
          return [
            x.label,
            fmtUs(l.p50Us),
            fmtUs(l.p99Us),
            fmtUs(l.p999Us),
            fmtUs(l.maxUs),
            signedUs(x.added?.p50Us),
            signedUs(x.added?.p99Us),
            signedUs(x.added?.p999Us),
            signedUs(x.added?.maxUs),
            x.result.achievedRps.toFixed(0),
            String(errors),
            fmtLoad(x.otherLoad),
          ];
        }),
      ),
    );
    const direct = runs.find((x) => x.kind === "direct")?.result?.sendLag;
    if (direct)
      out.push(
        "",
        `The generator's own send lag behind its timetable (direct run): p50 ${fmtUs(direct.p50Us)}, ` +
          `p99 ${fmtUs(direct.p99Us)}, max ${fmtUs(direct.maxUs)} µs (included in every latency above).`,
      );
  }
  return out;
}

function memoryTable(r: SuiteReport): string[] {
  const m = r.memory;
  const kinds: Case[] = [
    "trellis",
    "trellis-bare",
    "trellis-2hop",
    "nginx",
    "haproxy",
    "node",
    "http-proxy",
    "undici",
  ];
  const rows: string[][] = [];
  const held = r.settings.memory.held;
  for (const kind of kinds) {
    if (!r.settings.cases.includes(kind)) continue;
    const c = closedCase(r, kind);
    const at1k = openRun(r, kind, 1000)?.rssMiB;
    const conn = m?.connections.find((x) => x.kind === kind);
    const start = m?.startup.filter((x) => x.kind === kind) ?? [];
    const plain = start.find((x) => x.config === "plain");
    const big = start.find((x) => x.config !== "plain");
    rows.push([
      LABEL[kind],
      fmtMiB(c?.idleMiB ?? conn?.idleMiB),
      fmtMiB(at1k),
      fmtMiB(c?.saturatedMiB),
      ...held.map((h) => {
        const p = conn?.points.find((x) => x.target === h);
        if (p === undefined) return conn?.error ? "failed" : DASH;
        return `${p.perConnectionKiB?.toFixed(1) ?? DASH}${p.held < h ? ` (${p.held} held)` : ""}`;
      }),
      fmtMiB(conn?.points.at(-1)?.rssMiB),
      plain?.ms === undefined ? DASH : plain.ms.toFixed(0),
      big?.ms === undefined ? "" : big.ms.toFixed(0),
    ]);
  }
  if (m?.bareNodeServerIdleMiB !== undefined) {
    rows.push([
      "bare Node HTTP server (no proxy)",
      fmtMiB(m.bareNodeServerIdleMiB),
      ...Array.from({ length: 4 + held.length }, () => DASH),
      "",
    ]);
  }
  return [
    "",
    "### Memory (RSS, MiB) and start-up",
    "",
    ...table(
      [
        "case",
        "idle",
        "at 1k rps",
        "saturated (c32)",
        ...held.map((h) => `KiB per idle conn (${h.toLocaleString("en-US")})`),
        `with ${held.at(-1)?.toLocaleString("en-US")} conns`,
        "exec → first 200 ms",
        "same, 1k dentries + 1k endpoints",
      ],
      ["l", "r", "r", "r", ...held.map(() => "r" as const), "r", "r", "r"],
      rows,
    ),
    "",
    "idle: 0.5 s after start, before any load (from the closed loop, else from the memory section); at 1k rps: largest sample during the open-loop run; " +
      "saturated: largest sample during wrk c32; per idle connection: (RSS holding N idle keep-alive connections, " +
      "each after one request − RSS before) ÷ N; nginx is master + worker; two hops are both sidecars; the bare Node " +
      "HTTP server is the Node origin (node:http answering 12 bytes) on the proxies' CPU, the floor for a proxy written in Node. " +
      "Start-up: from spawn to the first 200 through the proxy, median of " +
      `${r.settings.memory.startupRepeats}.`,
  ];
}

function scaleTable(r: SuiteReport, s: ScaleResult): string[] {
  const out = [
    "",
    `### Scale (c32, ${r.settings.scale.durationS} s per run; Trellis one hop unless the row says nginx)`,
    "",
  ];
  const t = closedCase(r, "trellis");
  const c32 = t?.points.find((p) => p.connections === 32)?.rps;
  const c512 = t?.points.find((p) => p.connections === 512)?.rps;
  const rows = s.pairs.map((p) => [
    p.what,
    fmtRps(p.baselineRps),
    fmtRps(p.variantRps),
    fmtRatio(p.ratio),
    [
      p.target === false
        ? "context, no target"
        : p.target === "feature"
          ? "the feature cost (aim ≥ 0.90×)"
          : "",
      p.errors.length === 0 ? "" : `${p.errors.length} failed runs`,
      `other load ≤ ${fmtLoad(p.otherLoad)}`,
    ]
      .filter(Boolean)
      .join("; "),
  ]);
  if (c32 !== undefined && c512 !== undefined)
    rows.push(["connections (32 vs 512, closed loop)", fmtRps(c32), fmtRps(c512), fmtRatio(c512 / c32), ""]);
  out.push(
    ...table(["what", "baseline rps", "variant rps", "ratio", "notes"], ["l", "r", "r", "r", "l"], rows),
  );
  if (s.pairs.some((p) => p.what.startsWith("endpoints")))
    out.push(
      "",
      "Feature path: Trellis's bare pass-through and Trellis one hop (one route, the full Linkerd path), both running, measured in turn, five runs each (the aim: one hop at least 0.90× the pass-through). " +
        "Endpoints: one bound name whose replica set is the io.l5d.fs file `bench` (`/svc/bench => " +
        "/#/io.l5d.fs/bench`), of 1 line against 1,000 `127.0.0.1 PORT` lines (each a port of the nginx origin), " +
        "with Linkerd's default balancer (p2c: every endpoint gets a connection, and each request one picked at " +
        "random) and with `client: {loadBalancer: {kind: aperture}}` (Finagle's aperture: a window of endpoints " +
        "sized to the load); " +
        "nginx's row is the same spread in one upstream block (keep-alive, two idle connections cached per server), " +
        "for how much of the cost any proxy pays for 1,000 upstream ports. Bound names (union): `/svc/bench` to a " +
        "union of 1,000 `/$/inet` branches, which is 1,000 bound names, each its own client, one picked by weight " +
        "per request.",
    );
  const sc = s.scrape;
  if (sc !== undefined) {
    out.push("");
    if (sc.error !== undefined || sc.without === undefined || sc.with === undefined)
      out.push(`Metric scrapes: failed: ${(sc.error ?? "").split("\n")[0]}`);
    else
      out.push(
        ...table(
          [
            `open loop, ${sc.rate} rps over ${sc.names} Host names, ${sc.durationS} s each (${r.settings.runs} alternating round${r.settings.runs === 1 ? "" : "s"})`,
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "max µs",
          ],
          ["l", "r", "r", "r", "r"],
          [
            [
              "no scrapes",
              fmtUs(sc.without.p50Us),
              fmtUs(sc.without.p99Us),
              fmtUs(sc.without.p999Us),
              fmtUs(sc.without.maxUs),
            ],
            [
              "GET /admin/metrics.json every 1 s",
              fmtUs(sc.with.p50Us),
              fmtUs(sc.with.p99Us),
              fmtUs(sc.with.p999Us),
              fmtUs(sc.with.maxUs),
            ],
            ["added", "", signedUs(sc.addedP99Us), signedUs(sc.addedP999Us), ""],
          ],
        ),
        "",
        `Scrapes: ${sc.scrapes?.count}${sc.scrapes?.failed ? ` (and ${sc.scrapes.failed} failed)` : ""}, ${((sc.scrapes?.bytes ?? 0) / 1024).toFixed(0)} KiB each, ` +
          `p50 ${sc.scrapes?.p50Ms} ms, max ${sc.scrapes?.maxMs} ms; errors during the two runs: ${sc.errors}.`,
      );
  }
  return out;
}

function targetTable(r: SuiteReport): string[] {
  if (r.targets.length === 0) return [];
  return [
    "",
    "### Trellis one hop against the targets of issue 4",
    "",
    ...table(
      ["metric", "measured", "target", "met"],
      ["l", "r", "l", "l"],
      r.targets.map((t) => [t.what, t.measured, t.target, t.met === undefined ? DASH : t.met ? "yes" : "no"]),
    ),
  ];
}

export function markdown(r: SuiteReport, chart?: string): string {
  const lines = header(r);
  if (r.closed) lines.push(...closedTables(r, r.closed));
  if (r.open) lines.push(...openTables(r, r.open));
  if (r.closed || r.open || r.memory) lines.push(...memoryTable(r));
  if (r.scale) lines.push(...scaleTable(r, r.scale));
  lines.push(...targetTable(r));
  if (chart !== undefined) lines.push("", `![Open-loop latency percentiles at 1,000 rps](${chart})`);
  const failures: string[] = [];
  for (const c of [...(r.closed?.cases ?? []), ...(r.closed?.nodeOrigin ?? [])])
    for (const e of c.errors) failures.push(`closed loop, ${c.label} (${c.origin} origin): ${e}`);
  for (const x of r.open?.runs ?? [])
    if (x.error) failures.push(`open loop, ${x.label} at ${x.rate} rps: ${x.error}`);
  for (const x of r.memory?.connections ?? [])
    if (x.error) failures.push(`held connections, ${x.label}: ${x.error}`);
  for (const x of r.memory?.startup ?? [])
    if (x.error) failures.push(`start-up, ${x.label} (${x.config}): ${x.error}`);
  for (const p of r.scale?.pairs ?? []) for (const e of p.errors) failures.push(`scale, ${p.what}: ${e}`);
  if (r.scale?.scrape?.error) failures.push(`metric scrapes: ${r.scale.scrape.error}`);
  if (failures.length > 0) {
    lines.push("", "### Failures", "");
    for (const f of failures) lines.push(`- ${f.trim().split("\n").slice(0, 6).join("\n  ")}`);
  }
  return `${lines.join("\n")}\n`;
}
