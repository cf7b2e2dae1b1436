// The benchmark suite (`npm run bench`): Trellis against direct, nginx, HAProxy and Node proxies, in one run.
//
//   npm run bench                              # everything, median of 3 runs (see the README of issue 4)
//   npm run bench -- --quick                   # short runs, 1 run: a few minutes less, for a smoke test
//   npm run bench -- --only closed,open        # some sections: closed, open, memory, scale
//   npm run bench -- --runs 5                  # median of 5 runs
//   npm run bench -- --cases direct,trellis,nginx --no-pin
//
// Sections: closed loop (wrk -t1 at 1, 8, 32 and 512 connections; a Node origin at 32 as a second case), open
// loop (bench/open-loop-client.ts at 1,000 and 5,000 rps, latency from the intended send time), memory (RSS
// idle / at 1,000 rps / saturated, per idle keep-alive connection, exec to the first proxied 200) and scale
// (1 vs 1,000 endpoints, dentries and Host names; metric scrapes). With taskset, the system under test runs on
// CPU 0 and the load (wrk, the open-loop client, the origin, this script) on CPU 1. Writes
// bench/results/latest.md, latest.json and latency.svg. Everything runs on 127.0.0.1, and every process the
// suite starts is stopped at the end, on errors and on Ctrl-C.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureDebianBinary, isRoot } from "./lib/apt.ts";
import { cpuSnapshot, type ForeignLoad, foreignLoad } from "./lib/foreign-load.ts";
import { machine } from "./lib/machine.ts";
import { WRK, wrkVersion } from "./lib/wrk.ts";
import { type ChartPanel, latencyChart } from "./suite/chart.ts";
import { type ClosedResult, closedLoop } from "./suite/closed.ts";
import { Context, SECTIONS, type Section, settings } from "./suite/context.ts";
import { type MemoryResult, memory } from "./suite/memory.ts";
import { type OpenResult, openLoop } from "./suite/open.ts";
import { markdown, type Noise, type SuiteReport, targets } from "./suite/report.ts";
import {
  machineNoise,
  QUIET,
  requireDebianBinary,
  startOrigin,
  startRun,
  waitQuiet,
} from "./suite/run-env.ts";
import { type ScaleResult, scale } from "./suite/scale.ts";
import {
  CASES,
  type Case,
  HAPROXY,
  haproxyVersion,
  LABEL,
  NGINX,
  nginxVersion,
  type Origin,
  packageVersion,
  sourcesChangedSince,
  stopService,
  trellisBuild,
} from "./suite/services.ts";

const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));

const USAGE = `Usage: npm run bench -- [options]
  --quick            short runs (4 s open loop, 1 s closed loop) and 1 run unless --runs says otherwise
  --runs N           runs per closed-loop point and scale case; the median is reported (default 3)
  --only LIST        sections to run, of ${SECTIONS.join(",")} (default all)
  --cases LIST       of ${CASES.join(",")} (default all; ratios need direct and nginx)
  --no-pin           do not pin with taskset
  --wait-quiet MIN   wait up to MIN minutes for other programs to leave the CPUs alone before starting
  --out DIR          where latest.md, latest.json and latency.svg go (default bench/results/)
`;

const log = (s: string) => process.stderr.write(s);

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function options() {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        runs: { type: "string" },
        only: { type: "string" },
        cases: { type: "string" },
        "no-pin": { type: "boolean", default: false },
        "wait-quiet": { type: "string", default: "0" },
        out: { type: "string", default: RESULTS },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const list = <T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T[] => {
    if (text === undefined) return [...allowed];
    const items = text.split(",").map((s) => s.trim()) as T[];
    for (const i of items)
      if (!allowed.includes(i)) fail(`--${name}: unknown "${i}" (one of ${allowed.join(", ")})`);
    return items;
  };
  let runs: number | undefined;
  if (v.runs !== undefined) {
    runs = Number(v.runs);
    if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a whole number >= 1, got "${v.runs}"`);
  }
  const only = list<Section>("only", v.only, SECTIONS);
  const cases = list<Case>("cases", v.cases, CASES);
  // Keep the order of CASES and SECTIONS whatever the order given.
  return {
    settings: settings(
      v.quick,
      runs,
      SECTIONS.filter((s) => only.includes(s)),
      CASES.filter((c) => cases.includes(c)),
    ),
    pin: !v["no-pin"],
    waitQuietMin: (() => {
      const n = Number(v["wait-quiet"]);
      if (!Number.isFinite(n) || n < 0)
        fail(`--wait-quiet must be a number of minutes >= 0, got "${v["wait-quiet"]}"`);
      return n;
    })(),
    out: v.out,
  };
}

/** Installs what is missing (as root), or says how. Returns notes for the report and the cases to drop. */
function ensureTools(cases: readonly Case[]): { notes: string[]; drop: Case[] } {
  const notes: string[] = [];
  const drop: Case[] = [];
  if (!ensureDebianBinary(WRK, ["wrk"], log)) {
    fail(
      isRoot()
        ? `${WRK} is missing and \`apt-get install -y wrk\` did not install it`
        : `${WRK} is missing: sudo apt-get update && sudo apt-get install -y wrk`,
    );
  }
  // nginx is the origin of everything: without it there is no suite.
  requireDebianBinary(NGINX, ["nginx-light", "nginx"], log, fail);
  if (cases.includes("haproxy") && !ensureDebianBinary(HAPROXY, ["haproxy"], log)) {
    drop.push("haproxy");
    notes.push(
      isRoot()
        ? "HAProxy could not be installed (apt-get install -y haproxy failed): no HAProxy case"
        : "HAProxy is not installed (sudo apt-get install -y haproxy): no HAProxy case",
    );
  }
  return { notes, drop };
}

function chart(report: SuiteReport): string | undefined {
  const runs = report.open?.runs ?? [];
  const panels: ChartPanel[] = [];
  for (const rate of report.settings.open.rates) {
    const series = runs
      .filter((r) => r.rate === rate && r.result !== undefined)
      .map((r) => {
        const l = r.result?.latency;
        return {
          label: LABEL[r.kind].replace(" (no proxy)", ""),
          values: [l?.p50Us ?? 0, l?.p99Us ?? 0, l?.p999Us ?? 0, l?.maxUs ?? 0] as [
            number,
            number,
            number,
            number,
          ],
        };
      });
    if (series.length > 0)
      panels.push({
        title: `${rate.toLocaleString("en-US")} requests/s, ${report.settings.open.connections} connections, ${report.settings.open.durationS} s`,
        series,
      });
  }
  if (panels.length === 0) return undefined;
  const m = report.machine;
  return latencyChart(
    "Open-loop latency percentiles per proxy",
    `${m.cpuModel}, ${m.nproc} CPUs; Node ${m.node}; ${report.pinned ? "pinned (proxy CPU 0, load CPU 1)" : "not pinned"}; ${m.date.slice(0, 10)}`,
    panels,
  );
}

async function main(): Promise<number> {
  const o = options();
  const busy = await waitQuiet(o.waitQuietMin, "bench", log);
  if (busy >= QUIET)
    log(
      `bench: warning: other programs use ${(busy * 100).toFixed(0)}% of a CPU; the figures will be skewed (see the report's header)\n`,
    );
  const started = performance.now();
  const host = machine();
  const { notes, drop } = ensureTools(o.settings.cases);
  const s =
    drop.length === 0
      ? o.settings
      : { ...o.settings, cases: o.settings.cases.filter((c) => !drop.includes(c)) };
  const env = startRun({ name: "bench", pin: o.pin, tmpPrefix: "trellis-bench-", log });
  const { group, place } = env;
  const buildAtStart = trellisBuild();
  const noiseMs = s.quick ? 1000 : 2000;
  const noise: Noise[] = [];
  const foreign: Partial<Record<Section, ForeignLoad>> = {};
  const sectionS: Partial<Record<Section, number>> = {};
  let closed: ClosedResult | undefined;
  let open: OpenResult | undefined;
  let mem: MemoryResult | undefined;
  let sc: ScaleResult | undefined;
  let origin: Origin | undefined;
  try {
    // One nginx origin for everything; the extra ports are the 1,000 endpoints of the scale and start-up cases.
    const extra = s.sections.includes("scale") || s.sections.includes("memory") ? s.scale.size : 0;
    origin = await startOrigin(env, extra);
    log(`nginx origin on 127.0.0.1:${origin.port}${extra > 0 ? ` (and ${extra} more ports)` : ""}\n`);
    const ctx = new Context(env, s, origin, log);
    noise.push(...(await machineNoise(env, "start", noiseMs)));
    // What other programs used of the CPUs meanwhile, section by section (they would skew the figures).
    const measured = async <T>(section: Section, run: () => Promise<T>): Promise<T> => {
      const from = cpuSnapshot(group.pids());
      const t0 = performance.now();
      try {
        return await run();
      } finally {
        foreign[section] = foreignLoad(from, cpuSnapshot(group.pids()));
        sectionS[section] = Math.round((performance.now() - t0) / 100) / 10;
        log(`  (${section}: ${sectionS[section]} s)\n`);
      }
    };
    if (s.sections.includes("closed")) closed = await measured("closed", () => closedLoop(ctx));
    if (s.sections.includes("open")) open = await measured("open", () => openLoop(ctx));
    if (s.sections.includes("memory")) mem = await measured("memory", () => memory(ctx));
    if (s.sections.includes("scale") && s.cases.includes("trellis"))
      sc = await measured("scale", () => scale(ctx));
    noise.push(...(await machineNoise(env, "end", noiseMs)));
  } finally {
    await stopService(env, origin);
    await env.cleanup();
  }

  const partial: Omit<SuiteReport, "targets"> = {
    benchmark: "suite",
    machine: host,
    tools: {
      node: process.version,
      wrk: wrkVersion(),
      nginx: nginxVersion(),
      haproxy: haproxyVersion(),
      httpProxy: packageVersion("http-proxy"),
      undici: packageVersion("undici"),
    },
    trellisBuild: sourcesChangedSince() ? "changed during the run" : buildAtStart,
    pinned: place.pinned,
    pinning: place.description,
    settings: s,
    noise,
    foreign,
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
    sectionS,
    ...(closed ? { closed } : {}),
    ...(open ? { open } : {}),
    ...(mem ? { memory: mem } : {}),
    ...(sc ? { scale: sc } : {}),
    notes,
  };
  const report: SuiteReport = { ...partial, targets: targets(partial) };
  mkdirSync(o.out, { recursive: true });
  const svg = chart(report);
  if (svg !== undefined) writeFileSync(join(o.out, "latency.svg"), svg);
  const md = markdown(report, svg === undefined ? undefined : "latency.svg");
  writeFileSync(join(o.out, "latest.md"), md);
  writeFileSync(join(o.out, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(md);
  log(
    `bench: wrote ${join(o.out, "latest.md")}, latest.json${svg ? ", latency.svg" : ""} in ${report.elapsedS} s\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
