// The soak (`npm run bench:soak`): Trellis one hop at half its max load for N minutes, slow_cooker-style lines every 10 s.
//
//   npm run bench:soak                       # 10 minutes (issue 4: RSS and p99 flat, no drift over 5%)
//   npm run bench:soak -- --minutes 1        # a quick check
//   npm run bench:soak -- --rate 8000        # skip the max-load run and soak at this rate
//   npm run bench:soak -- --no-probe --no-pin
//
// It rebuilds the bundle when src/ is newer (scripts/bundle.ts), starts an nginx origin and Trellis one hop (as
// the suite does, see bench/suite/services.ts), finds the max load with wrk -t1 -c32 for 5 s, then runs an open-loop generator
// (bench/soak/generator.ts) at 50% of it over 16 keep-alive connections. Every 10 s it prints one line: the
// window's good/bad/failed requests, achieved rate, latency percentiles in µs from the intended send times,
// the proxy's RSS (/proc/<pid>/status VmRSS), and, from a probe preloaded into the proxy with --import
// (bench/soak/probe.mjs; src/ unchanged), its heap, event-loop delay and GC time. At the end: the drift of the
// mean RSS and of p99 between the two halves after a minute of warm-up, against 5%, written to
// bench/results/soak-latest.md and soak-latest.json. With taskset, the proxy runs on CPU 0 and everything
// else on CPU 1. Everything runs on 127.0.0.1; every process it starts is stopped at the end, on errors, on
// Ctrl-C, and when the run overruns its time budget.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleIsCurrent, ensureBundle } from "../scripts/bundle.ts";
import { type CpuSnapshot, cpuSnapshot, type ForeignLoad, foreignLoad } from "./lib/foreign-load.ts";
import { Histogram } from "./lib/histogram.ts";
import { machine } from "./lib/machine.ts";
import { freePort } from "./lib/net.ts";
import { type Child, readRss, waitForOutput } from "./lib/processes.ts";
import { runWrk, WRK, type WrkResult, wrkVersion } from "./lib/wrk.ts";
import type { DoneLine, GeneratorLine, WindowLine } from "./soak/generator.ts";
import { describeNoise, otherBenchmarks } from "./soak/machine-check.ts";
import {
  formatLine,
  lineHeader,
  markdown,
  type ProbeLine,
  type RssSample,
  summarize,
  type WindowRecord,
  warmupOf,
  windowRecord,
} from "./soak/report.ts";
import type { Noise } from "./suite/report.ts";
import {
  machineNoise,
  QUIET,
  requireDebianBinary,
  startOrigin,
  startRun,
  waitQuiet,
} from "./suite/run-env.ts";
import {
  checkAnswers,
  dtabs,
  type Env,
  HOST,
  NGINX,
  NOFILE,
  nginxVersion,
  type Origin,
  trellisCommand,
} from "./suite/services.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RESULTS = here("./results/");
const GENERATOR = here("./soak/generator.ts");
const PROBE = here("./soak/probe.mjs");

const WINDOW_S = 10;
const MAX_LOAD_S = 5;
const MAX_LOAD_CONNECTIONS = 32;
/** How long the noise floor is measured on each CPU, at the start and at the end. */
const NOISE_MS = 2000;

const USAGE = `Usage: npm run bench:soak -- [options]
  --minutes N        soak length in minutes (default 10; 1 for a quick check; at least 0.5)
  --share F          share of the max load to soak at (default 0.5)
  --rate R           soak at R requests/s and skip the max-load run
  --connections N    keep-alive connections of the generator (default 16)
  --wait-quiet MIN   wait up to MIN minutes for other programs to leave the CPUs alone first (default 0)
  --no-probe         run the proxy without the preloaded probe (no event-loop delay, heap or GC figures)
  --no-build         do not rebuild the bundle when src/ is newer
  --no-pin           do not pin with taskset
  --out DIR          where soak-latest.md and soak-latest.json go (default bench/results/)
`;

const log = (s: string) => process.stderr.write(s);
const say = (s: string) => process.stdout.write(s);

function fail(message: string): never {
  log(`bench:soak: ${message}\n`);
  process.exit(2);
}

function options() {
  let v: {
    minutes: string;
    share: string;
    rate?: string;
    connections: string;
    "wait-quiet": string;
    "no-probe": boolean;
    "no-build": boolean;
    "no-pin": boolean;
    out: string;
    help: boolean;
  };
  try {
    v = parseArgs({
      options: {
        minutes: { type: "string", default: "10" },
        share: { type: "string", default: "0.5" },
        rate: { type: "string" },
        connections: { type: "string", default: "16" },
        "wait-quiet": { type: "string", default: "0" },
        "no-probe": { type: "boolean", default: false },
        "no-build": { type: "boolean", default: false },
        "no-pin": { type: "boolean", default: false },
        out: { type: "string", default: RESULTS },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (v.help) {
    say(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number, max = Number.POSITIVE_INFINITY) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      fail(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
    return n;
  };
  const minutes = number("minutes", v.minutes, 0.5, 24 * 60);
  return {
    // Whole windows only.
    durationS: Math.max(3, Math.round((minutes * 60) / WINDOW_S)) * WINDOW_S,
    share: number("share", v.share, 0.01, 1),
    rate: v.rate === undefined ? undefined : number("rate", v.rate, 1),
    connections: Math.round(number("connections", v.connections, 1, 1024)),
    waitQuietMin: number("wait-quiet", v["wait-quiet"], 0, 24 * 60),
    probe: !v["no-probe"],
    build: !v["no-build"],
    pin: !v["no-pin"],
    out: v.out,
  };
}

/** Rebuilds the bundle when a source is newer, so that the proxy runs the code in src/. */
function build(): void {
  try {
    if (ensureBundle() === "rebuilt") log("bench:soak: rebuilt dist/trellis.cjs from src/\n");
  } catch (e) {
    fail(`${(e as Error).message}\nnot soaking an older build`);
  }
}

interface Proxy {
  readonly child: Child;
  readonly port: number;
  /** Asks the probe for the window that just ended (undefined without a probe, or if it does not answer). */
  probe(): Promise<ProbeLine | undefined>;
}

/** Trellis one hop in front of the origin, on the system-under-test CPU, with the probe preloaded if asked. */
async function startProxy(env: Env, origin: Origin, withProbe: boolean): Promise<Proxy> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [node, ...rest] = trellisCommand(env, "trellis-soak", port, dtabs.one(origin.port));
    const args = withProbe ? ["--import", PROBE, ...rest] : rest;
    const [cmd, argv] = env.place.wrap("sut", node as string, args, NOFILE);
    const child = env.group.spawn("trellis", cmd, argv);
    try {
      if (withProbe) await waitForOutput(child, /^soak-probe ready$/m);
      await waitForOutput(
        child,
        new RegExp(`trellis: router ${HOST} listening on 127\\.0\\.0\\.1:${port}\\b`),
      );
      await waitForOutput(child, /trellis: admin listening on 127\.0\.0\.1:\d+/);
    } catch (e) {
      last = e;
      await env.group.stop(child);
      continue;
    }
    // The probe's answers, one line each on stderr.
    let waiting: ((l: ProbeLine | undefined) => void) | undefined;
    let buffered = "";
    child.process.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith("soak-probe {") && waiting !== undefined) {
          try {
            waiting(JSON.parse(line.slice("soak-probe ".length)) as ProbeLine);
          } catch {
            waiting(undefined);
          }
        }
        nl = buffered.indexOf("\n");
      }
    });
    const probe = (): Promise<ProbeLine | undefined> => {
      if (!withProbe || child.process.exitCode !== null || child.process.signalCode !== null)
        return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const timer = setTimeout(() => done(undefined), 2000);
        const done = (l: ProbeLine | undefined) => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(l);
        };
        waiting = done;
        try {
          process.kill(child.pid, "SIGUSR2");
        } catch {
          done(undefined);
        }
      });
    };
    return { child, port, probe };
  }
  throw last;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SoakRun {
  readonly windows: WindowRecord[];
  readonly histograms: Map<number, Histogram>;
  readonly samples: RssSample[];
  readonly done: DoneLine | undefined;
  /** CPU time other programs used from the first window to the last. */
  readonly foreign: ForeignLoad | undefined;
}

/** Runs the generator against the proxy, printing a line per window; RSS sampled every second meanwhile. */
async function soak(
  env: Env,
  origin: Origin,
  proxy: Proxy,
  rate: number,
  durationS: number,
  connections: number,
  withProbe: boolean,
): Promise<SoakRun> {
  const windows: WindowRecord[] = [];
  const histograms = new Map<number, Histogram>();
  const samples: RssSample[] = [];
  let done: DoneLine | undefined;
  let foreign: ForeignLoad | undefined;
  let t0 = 0;
  let sampler: ReturnType<typeof setInterval> | undefined;
  const sample = () => {
    const r = readRss(proxy.child.pid);
    if (r !== undefined && t0 > 0) samples.push({ tS: (performance.now() - t0) / 1000, kib: r.rssKiB });
    return r?.rssKiB;
  };

  const [cmd, argv] = env.place.wrap("load", process.execPath, [
    GENERATOR,
    "--port",
    String(proxy.port),
    "--rate",
    String(rate),
    "--duration",
    String(durationS),
    "--connections",
    String(connections),
    "--window",
    String(WINDOW_S),
    "--host",
    HOST,
  ]);
  const gen = env.group.spawn("soak generator", cmd, argv);
  // A proxy that dies ends the soak at once rather than after the rest of the timetable.
  let proxyDied = false;
  proxy.child.exited().then(() => {
    proxyDied = true;
    gen.process.kill("SIGTERM");
  });
  // What other programs take meanwhile: the machine's CPU time less this process's and its children's.
  const live = [proxy.child.pid, gen.pid, ...origin.children.map((c) => c.pid)];
  let first: CpuSnapshot | undefined;
  let last: CpuSnapshot | undefined;
  // The generator waits up to 60 s for a window whose requests it is behind on: room for that and more.
  const watchdog = setTimeout(() => gen.process.kill("SIGKILL"), (durationS + 120) * 1000);

  // Lines are handled one at a time, in order (a window waits for the probe's answer).
  let chain = Promise.resolve();
  const handle = async (line: GeneratorLine) => {
    if (line.type === "start") {
      t0 = performance.now() + 30;
      sampler = setInterval(sample, 1000);
      first = cpuSnapshot(live);
      last = first;
      // A fresh probe window: what the max-load run left in it is not the soak's.
      await proxy.probe();
      say(`${lineHeader(withProbe)}\n`);
    } else if (line.type === "window") {
      const rss = sample();
      const probe = await proxy.probe();
      const earlier = windows
        .filter((w) => w.endS > warmupOf(durationS, WINDOW_S))
        .map((w) => w.latency.p99Us)
        .filter(Number.isFinite);
      const now = cpuSnapshot(live);
      const others = last === undefined ? undefined : foreignLoad(last, now).foreignShareOfOneCpu * 100;
      last = now;
      const r = windowRecord(line as WindowLine, rate, rss, samples, probe, earlier, others);
      histograms.set(line.index, Histogram.fromJSON(line.histogram));
      windows.push(r);
      say(`${formatLine(r, withProbe)}\n`);
    } else {
      done = line;
      if (first !== undefined && last !== undefined) foreign = foreignLoad(first, last);
    }
  };
  let buffered = "";
  gen.process.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (text.startsWith("{")) {
        try {
          const line = JSON.parse(text) as GeneratorLine;
          chain = chain.then(() => handle(line));
        } catch {
          log(`bench:soak: unreadable generator line: ${text.slice(0, 200)}\n`);
        }
      }
      nl = buffered.indexOf("\n");
    }
  });
  await gen.exited();
  clearTimeout(watchdog);
  await chain;
  if (sampler !== undefined) clearInterval(sampler);
  if (proxyDied) throw new Error(`Trellis exited during the soak:\n${proxy.child.output().slice(-2000)}`);
  if (gen.process.exitCode !== 0 || done === undefined)
    throw new Error(
      `the soak generator failed (${gen.process.exitCode ?? gen.process.signalCode}) after ${windows.length} ` +
        `windows:\n${gen.output().slice(-2000)}`,
    );
  return { windows, histograms, samples, done, foreign };
}

async function main(): Promise<number> {
  const started = performance.now();
  const o = options();
  requireDebianBinary(WRK, ["wrk"], log, fail);
  requireDebianBinary(NGINX, ["nginx-light", "nginx"], log, fail);
  const notes: string[] = [];
  const host = machine();
  const env = startRun({ name: "bench:soak", pin: o.pin, tmpPrefix: "trellis-soak-", log });
  const { group, place, cleanup } = env;
  // Bounded: the wait for a quiet machine, the soak, the max-load run, start-up and stopping, with room to spare.
  const budgetS = o.durationS + 300 + o.waitQuietMin * 60;
  const overrun = setTimeout(() => {
    log(`\nbench:soak: still running after ${budgetS} s: stopping everything it started\n`);
    cleanup().finally(() => process.exit(1));
  }, budgetS * 1000);

  const busy = await waitQuiet(o.waitQuietMin, "bench:soak", log);
  if (busy >= QUIET) {
    log(
      `bench:soak: warning: other programs use ${(busy * 100).toFixed(0)}% of a CPU; the figures will show it\n`,
    );
    notes.push(`other programs used ${(busy * 100).toFixed(0)}% of a CPU just before the start`);
  }
  if (o.build) build();
  else if (!bundleIsCurrent())
    notes.push("dist/trellis.cjs is older than src/ (--no-build): the proxy ran an older build than src/");
  const before = otherBenchmarks();
  if (before.length > 0) {
    log(
      `bench:soak: warning: other benchmark processes are running; the figures will show it:\n  ${before.join("\n  ")}\n`,
    );
    notes.push(`${before.length} other benchmark process(es) were running at the start (e.g. ${before[0]})`);
  }
  const noise: Noise[] = [];
  let run: SoakRun;
  let maxLoad: WrkResult | undefined;
  let rate: number;
  let rssBefore: number | undefined;
  let rssEnd: number | undefined;
  let rssPeak: number | undefined;
  try {
    noise.push(...(await machineNoise(env, "start", NOISE_MS)));
    const origin = await startOrigin(env);
    const proxy = await startProxy(env, origin, o.probe);
    await checkAnswers(proxy.port, "Trellis one hop");
    log(
      `bench:soak: nginx origin on 127.0.0.1:${origin.port}, Trellis on 127.0.0.1:${proxy.port} (pid ${proxy.child.pid})\n`,
    );
    const wrk = (connections: number, durationS: number) =>
      runWrk(group, {
        url: `http://127.0.0.1:${proxy.port}/`,
        threads: 1,
        connections,
        durationS,
        headers: [`Host: ${HOST}`],
        wrap: (c, a) => place.wrap("load", c, a),
      });
    // A short warm-up (as the suite does), so that the JIT has settled as in a sidecar that has been running.
    await wrk(8, 1);
    if (o.rate === undefined) {
      maxLoad = await wrk(MAX_LOAD_CONNECTIONS, MAX_LOAD_S);
      if (maxLoad.errors > 0) notes.push(`the max-load run had errors: ${maxLoad.errorText}`);
      rate = Math.max(1, Math.round(maxLoad.rps * o.share));
      log(
        `bench:soak: max load ${Math.round(maxLoad.rps)} requests/s (wrk -t1 -c${MAX_LOAD_CONNECTIONS}, ` +
          `${MAX_LOAD_S} s); soaking at ${rate} requests/s\n`,
      );
    } else {
      rate = o.rate;
      log(`bench:soak: soaking at ${rate} requests/s (--rate)\n`);
    }
    await sleep(2000);
    rssBefore = readRss(proxy.child.pid)?.rssKiB;
    log(
      `bench:soak: ${o.durationS / 60} min at ${rate} requests/s over ${o.connections} connections, ` +
        `a line every ${WINDOW_S} s\n`,
    );
    run = await soak(env, origin, proxy, rate, o.durationS, o.connections, o.probe);
    const r = readRss(proxy.child.pid);
    rssEnd = r?.rssKiB;
    rssPeak = r?.peakKiB;
    if (proxy.child.process.exitCode !== null || proxy.child.process.signalCode !== null)
      throw new Error(`Trellis exited during the soak:\n${proxy.child.output().slice(-2000)}`);
    noise.push(...(await machineNoise(env, "end", NOISE_MS)));
  } finally {
    await cleanup();
    clearTimeout(overrun);
  }

  const after = otherBenchmarks();
  if (after.length > 0)
    notes.push(`${after.length} other benchmark process(es) were running at the end (e.g. ${after[0]})`);
  if (run.foreign !== undefined && run.foreign.foreignShareOfOneCpu >= QUIET) {
    const busyWindows = run.windows.filter((w) => (w.othersCpuPct ?? 0) >= QUIET * 100).length;
    notes.push(
      `other programs took ${(run.foreign.foreignShareOfOneCpu * 100).toFixed(0)}% of a CPU over the soak ` +
        `(${QUIET * 100}% or more in ${busyWindows} of ${run.windows.length} windows, the \`others\` column): ` +
        "the latency and event-loop figures of those windows are not those of a quiet machine",
    );
  }
  const summary = summarize(
    o.durationS,
    WINDOW_S,
    run.windows,
    run.histograms,
    run.samples,
    run.done?.reconnects ?? 0,
  );
  if (run.done !== undefined && run.done.late > 0)
    notes.push(`${run.done.late} answers came after their window had been closed (counted as failed there)`);
  if (run.done !== undefined && run.done.writeErrors > 0) notes.push(`${run.done.writeErrors} sends failed`);
  const mib = (kib: number | undefined) => (kib === undefined ? undefined : Math.round(kib / 102.4) / 10);
  const info = {
    machine: host,
    pinning: place.description,
    tools: { node: process.version, wrk: wrkVersion(), nginx: nginxVersion() },
    maxRps: maxLoad === undefined ? undefined : Math.round(maxLoad.rps),
    maxLoad:
      maxLoad === undefined
        ? `not measured (--rate ${rate})`
        : `${Math.round(maxLoad.rps).toLocaleString("en-US")} requests/s (wrk -t1 -c${MAX_LOAD_CONNECTIONS}, ` +
          `${MAX_LOAD_S} s, Trellis one hop, after a 1 s warm-up at c8; wrk's p99 ${maxLoad.p99Ms} ms)`,
    rate,
    share: maxLoad === undefined ? Number.NaN : rate / maxLoad.rps,
    connections: o.connections,
    windowS: WINDOW_S,
    probe: o.probe,
    noise: describeNoise(noise),
    othersCpu:
      run.foreign === undefined
        ? "not measured"
        : `${(run.foreign.foreignShareOfOneCpu * 100).toFixed(1)}% of one CPU over the soak ` +
          `(the machine's ${run.foreign.machineCpuS} CPU-s less the soak's own ${run.foreign.ownCpuS} in ${run.foreign.seconds} s)`,
    rssBeforeMiB: mib(rssBefore),
    rssEndMiB: mib(rssEnd),
    rssPeakMiB: mib(rssPeak),
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
    notes,
  };
  const header = lineHeader(o.probe);
  const lines = run.windows.map((w) => formatLine(w, o.probe));
  const md = markdown(info, summary, run.windows, header, lines);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, "soak-latest.md"), md);
  writeFileSync(
    join(o.out, "soak-latest.json"),
    `${JSON.stringify(
      {
        benchmark: "soak",
        ...info,
        durationS: o.durationS,
        summary,
        generator: run.done,
        windows: run.windows,
        rssSamples: run.samples.map((s) => [Math.round(s.tS * 10) / 10, s.kib]),
        lines: [header, ...lines],
      },
      null,
      2,
    )}\n`,
  );
  say(`\n${md}`);
  log(`bench:soak: wrote ${join(o.out, "soak-latest.md")} and soak-latest.json in ${info.elapsedS} s\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    log(`bench:soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
