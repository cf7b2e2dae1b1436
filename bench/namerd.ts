// The namerd benchmark (`npm run bench:namerd`): how fast a dtab update reaches 1, 10 and 50 watching proxies, and namerd's memory with 10,000 watched names.
//
//   npm run bench:namerd                           # 1, 10 and 50 proxies on each interpreter, 10,000 names (a few minutes)
//   npm run bench:namerd -- --quick                # few updates, 2,000 names: a smoke test
//   npm run bench:namerd -- --fleet 1,10 --updates 50 --names 5000 --no-http --out /tmp/namerd
//
// Starts `trellis namerd` (durable store in a temp dir, the thrift interface and the HTTP API), two backends in
// this process, and fleets of `trellis proxy` whose router asks namerd (io.l5d.namerd over thrift, then
// io.l5d.namerd.http), grown to each size in parallel batches. (a) Each update flips namerd's dtab between the
// two backends; the time from its 2xx to the first request each proxy routes by it is one value. (b) A second
// namerd with 10,000 names watched through its thrift interface: its RSS before, while watched, after an update
// that rebinds them all, and once released. Writes bench/results/namerd-latest.md and .json. Every process it
// starts is stopped at the end and on Ctrl-C.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { summarize } from "./discovery/measure.ts";
import { privateTrellis } from "./discovery/trellis-bundle.ts";
import { cpuSnapshot, foreignLoad } from "./lib/foreign-load.ts";
import { machine } from "./lib/machine.ts";
import { type Child, ProcessGroup, readRss, waitForOutput } from "./lib/processes.ts";
import { median } from "./lib/stats.ts";
import {
  type FleetProxy,
  type InterpreterKind,
  proxyConfig,
  startFleet,
  untilAnswer,
} from "./namerd/fleet.ts";
import { markdown, type NamerdReport, type PropagationSeries, type WatchedReport } from "./namerd/report.ts";
import { Target } from "./namerd/targets.ts";
import { WatchedNames } from "./namerd/watched-names.ts";
import { trellisBuild } from "./suite/services.ts";

const TRELLIS_BIN = fileURLToPath(new URL("../bin/trellis.js", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
/** Proxies started at once when a fleet grows (2 cores: more only queue for the CPU). */
const START_BATCH = 5;
/** Updates without a change measured per fleet size, for the probe's floor. */
const FLOOR_SAMPLES = 10;
/** How long a proxy gets to route by an update before the value is counted as lost. */
const SAMPLE_TIMEOUT_MS = 10_000;
/** The first port of the names watched in (b): `/svc/<port>` binds to `/$/inet/127.1/<port>`. */
const FIRST_NAME_PORT = 20_000;

const USAGE = `Usage: npm run bench:namerd -- [options]
  --fleet N,N,...   fleet sizes, grown in this order (default 1,10,50)
  --updates N       dtab updates per fleet size (default: 200 with 1 proxy, 100 with 10, 40 with 50 or more)
  --names N         names watched in namerd for the memory measurement (default 10000; 0 skips it)
  --no-http         only io.l5d.namerd (thrift), not the io.l5d.namerd.http series
  --quick           fleet 1,10, 10 updates, 2,000 names: a smoke test
  --out DIR         where namerd-latest.md and .json go (default bench/results/)
`;

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number) => (readRss(pid)?.rssKiB ?? 0) / 1024;

function options() {
  const { values: v } = parseArgs({
    options: {
      fleet: { type: "string" },
      updates: { type: "string" },
      names: { type: "string" },
      "no-http": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: RESULTS },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const bad = (what: string): never => {
    process.stderr.write(`bench: ${what}\n${USAGE}`);
    process.exit(2);
  };
  const count = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) bad(`--${name} expects whole numbers >= ${min}, got "${text}"`);
    return n;
  };
  const fleet = (v.fleet ?? (v.quick ? "1,10" : "1,10,50")).split(",").map((s) => count("fleet", s, 1));
  if (fleet.some((n, i) => i > 0 && n <= (fleet[i - 1] as number))) bad("--fleet sizes must grow");
  const updates = (size: number) =>
    v.updates !== undefined
      ? count("updates", v.updates, 1)
      : v.quick
        ? 10
        : size === 1
          ? 200
          : size <= 10
            ? 100
            : 40;
  return {
    fleet,
    updates,
    names: v.names !== undefined ? count("names", v.names, 0) : v.quick ? 2000 : 10_000,
    kinds: (v["no-http"] ? ["io.l5d.namerd"] : ["io.l5d.namerd", "io.l5d.namerd.http"]) as InterpreterKind[],
    out: v.out,
  };
}

/** A running namerd: its process and the ports of its interfaces. */
interface Namerd {
  readonly child: Child;
  readonly thrift: number;
  readonly http: number;
}

async function startNamerd(group: ProcessGroup, bin: string, dir: string, name: string, config: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, config);
  const child = group.spawn(name, process.execPath, [bin, "namerd", file]);
  await waitForOutput(child, /trellis: admin listening on/, 60_000);
  const port = (kind: string) =>
    Number(new RegExp(`${kind} listening on [\\d.]+:(\\d+)`).exec(child.output())?.[1]);
  return { child, thrift: port("io.l5d.thriftNameInterpreter"), http: port("io.l5d.httpController") };
}

/** `PUT /api/1/dtabs/default`; resolves with performance.now() when its 2xx arrived. */
function putDtab(namerd: Namerd, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: namerd.http,
        method: "PUT",
        path: "/api/1/dtabs/default",
        headers: { "Content-Type": "application/dtab" },
        agent: false,
      },
      (res) => {
        const at = performance.now();
        res.resume();
        res.on("end", () =>
          (res.statusCode ?? 0) < 300 ? resolve(at) : reject(new Error(`PUT dtab: ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

const dtabTo = (t: Target) => `/svc/bench => /$/inet/127.1/${t.port};`;

/**
 * One measurement over the fleet: `change` (an update, or nothing for the floor) and, from the moment it is done
 * (`change` resolves with it), requests through every proxy until each answers from `to`. Each proxy's value is
 * the time from that moment to its first request arriving at `to`; undefined when it did not within the timeout.
 */
async function measure(
  fleet: readonly FleetProxy[],
  to: Target,
  change: () => Promise<number>,
): Promise<(number | undefined)[]> {
  const first = new Map<number, number>();
  to.onArrival = (proxy, at) => {
    if (!first.has(proxy)) first.set(proxy, at);
  };
  try {
    const from = await change();
    await Promise.all(fleet.map((p) => untilAnswer(p, to.name, SAMPLE_TIMEOUT_MS)));
    return fleet.map((p) => {
      const at = first.get(p.index);
      return at === undefined ? undefined : Math.max(0, at - from);
    });
  } finally {
    to.onArrival = undefined;
  }
}

async function main(): Promise<void> {
  const o = options();
  const group = new ProcessGroup();
  const dir = mkdtempSync(join(tmpdir(), "trellis-bench-namerd-"));
  const targets: Target[] = [];
  const cleanup = async () => {
    await group.close();
    for (const t of targets) await t.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.on("exit", () => group.killAllNow());
  const loadStart = loadavg();
  const cpuStart = cpuSnapshot([]);
  try {
    const own = privateTrellis(join(dir, "trellis"));
    const bin = own.bin ?? TRELLIS_BIN;
    const build =
      own.bin !== undefined
        ? "bundle, built from the sources at the start of the run"
        : `${trellisBuild()} (${own.why})`;
    log(`namerd benchmark: Trellis from its ${build}`);
    const a = await Target.start("A");
    const b = await Target.start("B");
    targets.push(a, b);

    // (a) One namerd, fleets of proxies watching it, dtab updates flipping /svc/bench between A and B.
    const namerd = await startNamerd(
      group,
      bin,
      dir,
      "namerd",
      `admin: {port: 0}
storage: {kind: io.trellis.durable, dir: ${join(dir, "namerd-data")}}
interfaces:
- {kind: io.l5d.thriftNameInterpreter, port: 0}
- {kind: io.l5d.httpController, port: 0}
`,
    );
    let current = a;
    await putDtab(namerd, dtabTo(current));
    const propagation: PropagationSeries[] = [];
    for (const kind of o.kinds) {
      const fleet: FleetProxy[] = [];
      const config = proxyConfig(kind, kind === "io.l5d.namerd" ? namerd.thrift : namerd.http);
      for (const size of o.fleet) {
        const started = performance.now();
        fleet.push(
          ...(await startFleet(group, bin, dir, fleet.length, size - fleet.length, config, START_BATCH)),
        );
        const startSeconds = (performance.now() - started) / 1000;
        const warm = await Promise.all(fleet.map((p) => untilAnswer(p, current.name, 30_000)));
        if (warm.includes(false)) throw new Error(`${kind}: not every proxy routes to ${current.name}`);
        log(
          `(a) ${kind}, ${size} proxies (started in ${startSeconds.toFixed(1)} s): ${o.updates(size)} updates`,
        );
        const floor: (number | undefined)[] = [];
        for (let i = 0; i < FLOOR_SAMPLES; i++) {
          floor.push(...(await measure(fleet, current, async () => performance.now())));
          await sleep(100);
        }
        const perProxy: (number | undefined)[] = [];
        const wholeFleet: (number | undefined)[] = [];
        for (let i = 0; i < o.updates(size); i++) {
          const to = current === a ? b : a;
          const values = await measure(fleet, to, () => putDtab(namerd, dtabTo(to)));
          current = to;
          perProxy.push(...values);
          wholeFleet.push(values.includes(undefined) ? undefined : Math.max(...(values as number[])));
          if ((i + 1) % 20 === 0) log(`  ${i + 1}/${o.updates(size)}`);
          // Idle between updates, a little at random, so that updates do not fall in step with timers.
          await sleep(150 + Math.random() * 100);
        }
        propagation.push({
          interpreter: kind,
          proxies: size,
          updates: o.updates(size),
          perProxy: summarize(perProxy),
          wholeFleet: summarize(wholeFleet),
          floor: summarize(floor),
          namerdRssMiB: rssMiB(namerd.child.pid),
          proxyRssMiB: median(fleet.map((p) => rssMiB(p.child.pid))) ?? 0,
          startSeconds,
        });
        const s = propagation.at(-1) as PropagationSeries;
        log(
          `  per proxy p50 ${s.perProxy.p50?.toFixed(1)} p99 ${s.perProxy.p99?.toFixed(1)} max ${s.perProxy.max?.toFixed(1)} ms; ` +
            `floor p50 ${s.floor.p50?.toFixed(1)} ms`,
        );
      }
      for (const p of fleet) p.agent.destroy();
      await Promise.all(fleet.map((p) => group.stop(p.child)));
    }
    await group.stop(namerd.child);

    // (b) A namerd whose caches hold 10,000 names, and that many names watched through its thrift interface.
    let watched: WatchedReport | undefined;
    if (o.names > 0) {
      const cache = `bindingCacheActive ${o.names}, addrCacheActive ${o.names}`;
      const big = await startNamerd(
        group,
        bin,
        dir,
        "namerd-names",
        `admin: {port: 0}
storage: {kind: io.trellis.durable, dir: ${join(dir, "namerd-names-data")}}
interfaces:
- kind: io.l5d.thriftNameInterpreter
  port: 0
  cache: {bindingCacheActive: ${o.names}, addrCacheActive: ${o.names}}
- {kind: io.l5d.httpController, port: 0}
`,
      );
      await putDtab(big, "/svc => /$/inet/127.1;");
      await sleep(2000);
      const namerdRssIdleMiB = rssMiB(big.child.pid);
      log(`(b) ${o.names} names watched through namerd's thrift interface`);
      const bindStarted = performance.now();
      const names = new WatchedNames(big.thrift, FIRST_NAME_PORT, o.names);
      try {
        if (!(await names.untilAll("/$/inet/127.1/", 300_000)))
          throw new Error(`only ${names.count("/$/inet/127.1/")} of ${o.names} names bound`);
        const bindAllMs = performance.now() - bindStarted;
        await sleep(3000);
        const namerdRssWatchedMiB = rssMiB(big.child.pid);
        const updated = await putDtab(big, "/svc => /$/inet/127.0.0.1;");
        if (!(await names.untilAll("/$/inet/127.0.0.1/", 300_000)))
          throw new Error(`only ${names.count("/$/inet/127.0.0.1/")} of ${o.names} names rebound`);
        const changeAllMs = performance.now() - updated;
        await sleep(3000);
        const namerdRssAfterChangeMiB = rssMiB(big.child.pid);
        names.close();
        await sleep(3000);
        watched = {
          names: o.names,
          cache,
          namerdRssIdleMiB,
          namerdRssWatchedMiB,
          namerdRssAfterChangeMiB,
          namerdRssReleasedMiB: rssMiB(big.child.pid),
          namerdPeakMiB: (readRss(big.child.pid)?.peakKiB ?? 0) / 1024,
          bindAllMs,
          changeAllMs,
        };
      } finally {
        names.close();
      }
      await group.stop(big.child);
    }

    const report: NamerdReport = {
      machine: machine(),
      trellisBuild: build,
      storage: "io.trellis.durable (temp dir)",
      loadAverage: { start: loadStart, end: loadavg() },
      foreignLoad: foreignLoad(cpuStart, cpuSnapshot(group.pids())),
      propagation,
      watched,
    };
    const md = markdown(report);
    writeFileSync(join(o.out, "namerd-latest.md"), md);
    writeFileSync(join(o.out, "namerd-latest.json"), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(md);
  } finally {
    await cleanup();
  }
}

await main();
