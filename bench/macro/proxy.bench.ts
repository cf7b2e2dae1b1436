// Macro benchmark of the sidecar: wrk through Trellis (one and two hops) side by side with direct and nginx.
//
//   npm run bench:proxy                     # full run, about 2 minutes
//   npm run bench:proxy -- --quick          # 3 s runs
//   npm run bench:proxy -- --duration 20    # 20 s runs at 32 connections
//   npm run bench:proxy -- --profile DIR --origins node --cases trellis-1hop
//                                           # Trellis under node --cpu-prof; prints where its time goes
//
// For each origin (a Node server in its own process; nginx too when /usr/sbin/nginx exists or can be
// installed) it runs, one after the other: direct to the origin, Trellis one hop, Trellis two hops (sidecar A's
// outgoing router → sidecar B's incoming router → origin) and nginx as a one-worker reverse proxy with upstream
// keep-alive. Each case: RSS idle, a warm-up, `wrk -t1 -c32` (closed loop, saturating), RSS right after it,
// then `wrk -t1 -c1` (latency at one connection). Prints a Markdown report and writes it as JSON to
// bench/results/proxy-latest.json. Everything runs on 127.0.0.1, and every process it starts is stopped at the
// end, on errors and on Ctrl-C.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureDebianBinary, isRoot } from "../lib/apt.ts";
import { machine } from "../lib/machine.ts";
import { type Child, ProcessGroup, readRss, readTreeRss } from "../lib/processes.ts";
import { runWrk, WRK, type WrkResult, wrkVersion } from "../lib/wrk.ts";
import { summarizeFiles } from "./cpuprofile-top.ts";
import {
  aims,
  type CaseResult,
  derive,
  KIND_LABEL,
  type Kind,
  type Load,
  type Memory,
  markdown,
  type Origin,
  type Report,
  type Setup,
} from "./report.ts";
import {
  BODY,
  checkAnswers,
  ensureNginx,
  HOST,
  type Measured,
  nginxVersion,
  type Service,
  startNginxOrigin,
  startNginxProxy,
  startNodeOrigin,
  startTrellisOneHop,
  startTrellisTwoHops,
  type TrellisOptions,
} from "./topology.ts";

const RESULTS = fileURLToPath(new URL("../results/proxy-latest.json", import.meta.url));
const ALL_KINDS: readonly Kind[] = ["direct", "trellis-1hop", "trellis-2hop", "nginx-proxy"];
/** With nginx as the origin the two-hop case is left out, to keep the full run near 2 minutes. */
const NGINX_ORIGIN_KINDS: readonly Kind[] = ["direct", "trellis-1hop", "nginx-proxy"];
/** Time a started proxy is left alone before its idle RSS is read. */
const SETTLE_MS = 500;

interface Options {
  readonly durationS: number;
  readonly c1DurationS: number;
  readonly warmupS: number;
  readonly origins: readonly Origin[];
  readonly kinds: readonly Kind[] | undefined;
  readonly nginx: boolean;
  readonly profileDir: string | undefined;
  readonly out: string;
}

const USAGE = `Usage: npm run bench:proxy -- [options]
  --quick            3 s runs (instead of 10 s) at 32 connections, 2 s at 1 connection
  --duration N       seconds per run at 32 connections (default 10); at 1 connection, half of it (at least 2)
  --c1-duration N    seconds per run at 1 connection
  --warmup N         seconds of unrecorded load before each case (default 1; 0 for none)
  --origins LIST     node,nginx (default both; nginx only when available)
  --cases LIST       of direct,trellis-1hop,trellis-2hop,nginx-proxy (default all; ratios need direct/nginx-proxy)
  --no-nginx         neither nginx as origin nor as proxy (and no install attempt)
  --profile DIR      run Trellis under node --cpu-prof, write the profiles to DIR and summarize them
  --out FILE         where the JSON goes (default bench/results/proxy-latest.json)
`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      "c1-duration": { type: "string" },
      warmup: { type: "string", default: "1" },
      origins: { type: "string", default: "node,nginx" },
      cases: { type: "string" },
      "no-nginx": { type: "boolean", default: false },
      profile: { type: "string" },
      out: { type: "string", default: RESULTS },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const num = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number >= ${min}, got "${text}"`);
    return n;
  };
  const list = <T extends string>(name: string, text: string, allowed: readonly T[]): T[] => {
    const items = text.split(",").map((s) => s.trim()) as T[];
    for (const i of items)
      if (!allowed.includes(i)) fail(`--${name}: unknown "${i}" (one of ${allowed.join(", ")})`);
    return items;
  };
  const durationS =
    values.duration !== undefined ? num("duration", values.duration, 1) : values.quick ? 3 : 10;
  const c1DurationS =
    values["c1-duration"] !== undefined
      ? num("c1-duration", values["c1-duration"], 1)
      : Math.max(2, Math.round(durationS / 2));
  return {
    durationS,
    c1DurationS,
    warmupS: num("warmup", values.warmup, 0),
    origins: list<Origin>("origins", values.origins, ["node", "nginx"]),
    kinds: values.cases === undefined ? undefined : list<Kind>("cases", values.cases, ALL_KINDS),
    nginx: !values["no-nginx"],
    profileDir: values.profile,
    out: values.out,
  };
}

function fail(message: string): never {
  process.stderr.write(`bench:proxy: ${message}\n`);
  process.exit(2);
}

const log = (s: string) => process.stderr.write(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

function strip(w: WrkResult): Load {
  const { raw: _raw, ...rest } = w;
  return rest;
}

function rssOf(m: Measured) {
  return m.tree ? readTreeRss(m.pid) : readRss(m.pid);
}

// ---------------------------------------------------------------------------------------------------------

class Bench {
  readonly group = new ProcessGroup();
  readonly tmp = mkdtempSync(join(tmpdir(), "trellis-bench-proxy-"));
  readonly #o: Options;
  readonly #trellis: TrellisOptions;
  readonly #stopGraceMs: number;

  constructor(o: Options) {
    this.#o = o;
    this.#trellis =
      o.profileDir === undefined ? {} : { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", o.profileDir] };
    // A profiled process writes its profile on exit, which takes a while after heavy load.
    this.#stopGraceMs = o.profileDir === undefined ? 3000 : 20_000;
  }

  async #stopAll(children: readonly Child[]): Promise<void> {
    await Promise.all(children.map((c) => this.group.stop(c, this.#stopGraceMs)));
  }

  #startProxy(kind: Kind, origin: Origin, originPort: number): Promise<Service> {
    switch (kind) {
      case "direct":
        return Promise.resolve({ port: originPort, children: [], measured: [] });
      case "trellis-1hop":
        return startTrellisOneHop(this.group, this.tmp, originPort, this.#trellis);
      case "trellis-2hop":
        return startTrellisTwoHops(this.group, this.tmp, originPort, this.#trellis);
      case "nginx-proxy":
        return startNginxProxy(this.group, join(this.tmp, `proxy-${origin}`), originPort);
    }
  }

  async #wrk(port: number, connections: number, durationS: number): Promise<WrkResult> {
    return runWrk(this.group, {
      url: `http://127.0.0.1:${port}/`,
      threads: 1,
      connections,
      durationS,
      headers: [`Host: ${HOST}`],
    });
  }

  async runCase(kind: Kind, origin: Origin, originPort: number): Promise<CaseResult> {
    const o = this.#o;
    const label = KIND_LABEL[kind];
    log(`· ${label} (${origin} origin): `);
    let service: Service | undefined;
    try {
      service = await this.#startProxy(kind, origin, originPort);
      await sleep(kind === "direct" ? 0 : SETTLE_MS);
      const idle = service.measured.map(rssOf);
      await checkAnswers(service.port, `${label} (${origin} origin)`);
      if (o.warmupS > 0) {
        log(`warm-up ${o.warmupS} s, `);
        await this.#wrk(service.port, 32, o.warmupS);
      }
      log(`c32 ${o.durationS} s, `);
      const c32 = await this.#wrk(service.port, 32, o.durationS);
      const after = service.measured.map(rssOf);
      log(`c1 ${o.c1DurationS} s: `);
      const c1 = await this.#wrk(service.port, 1, o.c1DurationS);
      const end = service.measured.map(rssOf);
      const memory: Memory[] = service.measured.map((m, i) => ({
        process: m.name,
        pid: m.pid,
        idleMiB: mib(idle[i]?.rssKiB ?? Number.NaN),
        afterLoadMiB: mib(after[i]?.rssKiB ?? Number.NaN),
        peakMiB: mib(end[i]?.peakKiB ?? Number.NaN),
      }));
      log(
        `${c32.rps.toFixed(0)} rps at c32 (p99 ${c32.p99Ms.toFixed(3)} ms), p50 ${c1.p50Ms.toFixed(3)} ms at c1\n`,
      );
      return { kind, origin, label, c32: strip(c32), c1: strip(c1), memory };
    } catch (e) {
      const message = (e as Error).message;
      log(`failed: ${message}\n`);
      return { kind, origin, label, error: message, memory: [] };
    } finally {
      if (service) await this.#stopAll(service.children);
    }
  }

  async runOrigin(origin: Origin, kinds: readonly Kind[]): Promise<CaseResult[]> {
    let originService: Service;
    try {
      originService =
        origin === "node"
          ? await startNodeOrigin(this.group)
          : await startNginxOrigin(this.group, join(this.tmp, "origin"));
      await checkAnswers(originService.port, `${origin} origin`);
    } catch (e) {
      const message = `the ${origin} origin did not start: ${(e as Error).message}`;
      log(`${message}\n`);
      return kinds.map((kind) => ({ kind, origin, label: KIND_LABEL[kind], error: message, memory: [] }));
    }
    log(`${origin} origin on 127.0.0.1:${originService.port}\n`);
    const results: CaseResult[] = [];
    try {
      for (const kind of kinds) results.push(await this.runCase(kind, origin, originService.port));
    } finally {
      await this.#stopAll(originService.children);
    }
    return results;
  }

  async cleanup(): Promise<void> {
    await this.group.stopAll(this.#stopGraceMs);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------

function ensureWrk(): void {
  if (ensureDebianBinary(WRK, ["wrk"], log)) return;
  process.stderr.write(
    isRoot()
      ? `bench:proxy: ${WRK} is missing and \`apt-get install -y wrk\` did not install it.\n`
      : `bench:proxy: ${WRK} is missing. Install it (Debian/Ubuntu) with:\n  sudo apt-get update && sudo apt-get install -y wrk\n`,
  );
  process.exit(1);
}

async function main(): Promise<number> {
  const o = options();
  const started = performance.now();
  const host = machine();
  ensureWrk();
  const wantNginx =
    o.nginx && (o.origins.includes("nginx") || (o.kinds ?? ALL_KINDS).includes("nginx-proxy"));
  const haveNginx = wantNginx && ensureNginx(log);
  const notes: string[] = [];
  if (wantNginx && !haveNginx)
    notes.push(
      isRoot()
        ? "nginx could not be installed: no nginx cases"
        : "nginx is not installed (`sudo apt-get install -y nginx-light`): no nginx cases",
    );
  if (!o.nginx) notes.push("--no-nginx: no nginx cases");
  if (o.profileDir !== undefined) {
    mkdirSync(o.profileDir, { recursive: true });
    notes.push(
      `Trellis ran under node --cpu-prof (profiles in ${o.profileDir}): its numbers are lower than usual`,
    );
  }
  const origins = o.origins.filter((x) => x === "node" || haveNginx);
  const bench = new Bench(o);

  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= bench.cleanup();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.once(signal, () => {
      log(`\nbench:proxy: ${signal}: stopping everything it started\n`);
      cleanup().finally(() => process.exit(code));
    });
  };
  onSignal("SIGINT", 130);
  onSignal("SIGTERM", 143);
  process.once("exit", () => {
    bench.group.killAllNow();
    rmSync(bench.tmp, { recursive: true, force: true });
  });

  const cases: CaseResult[] = [];
  try {
    for (const origin of origins) {
      const base = origin === "node" ? ALL_KINDS : NGINX_ORIGIN_KINDS;
      const kinds = base.filter((k) => (o.kinds ?? base).includes(k) && (k !== "nginx-proxy" || haveNginx));
      cases.push(...(await bench.runOrigin(origin, kinds)));
    }
  } finally {
    await cleanup();
  }

  derive(cases);
  const setup: Setup = {
    wrk: wrkVersion(),
    nginx: haveNginx ? nginxVersion() : undefined,
    c32: { threads: 1, connections: 32, durationS: o.durationS },
    c1: { threads: 1, connections: 1, durationS: o.c1DurationS },
    warmupS: o.warmupS,
    bodyBytes: Buffer.byteLength(BODY),
    pinning: `unpinned (wrk, origin and proxies share the ${host.nproc} CPUs)`,
    notes,
  };
  const report: Report = {
    benchmark: "proxy",
    machine: host,
    setup,
    cases,
    aims: aims(cases),
    elapsedS: (performance.now() - started) / 1000,
  };
  process.stdout.write(markdown(report));
  mkdirSync(join(o.out, ".."), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${o.out}\n`);

  if (o.profileDir !== undefined) {
    const files = readdirSync(o.profileDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(o.profileDir as string, f));
    if (files.length === 0) log(`no .cpuprofile in ${o.profileDir} (did Trellis exit cleanly?)\n`);
    else process.stdout.write(`\n${summarizeFiles(files)}`);
  }
  return cases.some((c) => c.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench:proxy: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
