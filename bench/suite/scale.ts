// Scale: Trellis's c32 throughput with 1 vs 1,000 endpoints, dentries and Host names (nginx's 1 vs 1,000 upstream
// servers for context), the feature path against the bare pass-through side by side, and the p99 cost of metric
// scrapes.

import { request } from "node:http";
import { Histogram } from "../lib/histogram.ts";
import { type OpenLoopResult, type Percentiles, percentiles } from "../lib/open-loop.ts";
import { median, ratio, round } from "../lib/stats.ts";
import { type Context, sleep } from "./context.ts";
import { checkAnswers, dtabs, HOST, replicaSet, type Service, startCase, stopService } from "./services.ts";

export interface ScalePair {
  readonly what: string;
  /** Which proxy the baseline runs (the variant runs the same, but for the feature-cost pair). */
  readonly proxy: "trellis" | "nginx" | "trellis-bare";
  /**
   * Which of issue 4's aims applies: "5%" (at most 5% of throughput), "feature" (the full path at least 0.9× the
   * bare pass-through), or false (a row for context).
   */
  readonly target: "5%" | "feature" | false;
  readonly baseline: string;
  readonly variant: string;
  /** Median c32 requests per second, and every run's. */
  readonly baselineRps: number | undefined;
  readonly variantRps: number | undefined;
  readonly baselineRuns: readonly number[];
  readonly variantRuns: readonly number[];
  /** variant ÷ baseline. */
  readonly ratio: number | undefined;
  /** The largest share of one CPU other programs used during one of the runs. */
  readonly otherLoad: number;
  readonly errors: readonly string[];
}

export interface ScrapeResult {
  readonly names: number;
  readonly rate: number;
  readonly durationS: number;
  readonly without?: Percentiles;
  readonly with?: Percentiles;
  readonly addedP99Us?: number;
  readonly addedP999Us?: number;
  readonly scrapes?: {
    readonly count: number;
    readonly failed: number;
    readonly p50Ms: number;
    readonly maxMs: number;
    readonly bytes: number;
  };
  readonly errors?: number;
  readonly error?: string;
}

export interface ScaleResult {
  readonly pairs: readonly ScalePair[];
  readonly scrape?: ScrapeResult;
}

interface Variant {
  readonly name: string;
  /** Trellis one hop (the default), Trellis's bare pass-through, or nginx. */
  readonly proxy?: "trellis" | "nginx" | "trellis-bare";
  /** Trellis's dtab (default: the one route to the origin). */
  readonly dtab?: readonly string[];
  /** For Trellis: the endpoints of the io.l5d.fs file `bench` (one replica set), with dtab `dtabs.fs()`. */
  readonly replicaSet?: readonly number[];
  /** For Trellis: the client load balancer kind (Linkerd's default, p2c, when not given). */
  readonly balancer?: string;
  /** For nginx: the servers of its one upstream block. */
  readonly upstreamPorts?: readonly number[];
  /** Host names wrk goes round (0: the one name, Host: bench). */
  readonly names: number;
}

async function startVariant(ctx: Context, v: Variant): Promise<Service> {
  const slug = v.name.replace(/[^A-Za-z0-9]+/g, "-");
  const service = await startCase(ctx.env, v.proxy ?? "trellis", ctx.origin, {
    ...(v.dtab === undefined ? {} : { dtab: v.dtab }),
    ...(v.replicaSet === undefined ? {} : { fsRoot: replicaSet(ctx.env, `scale-${slug}`, v.replicaSet) }),
    ...(v.upstreamPorts === undefined ? {} : { upstreamPorts: v.upstreamPorts }),
    ...(v.balancer === undefined ? {} : { balancer: v.balancer }),
  });
  try {
    await checkAnswers(service.port, v.name, v.names > 0 ? `${HOST}-0` : HOST);
    // The warm-up binds the names, opens the pools (each of 1,000 endpoints gets a connection or more) and
    // lets the JIT settle.
    await ctx.wrk(service.port, 32, ctx.s.scale.warmupS, v.names);
    return service;
  } catch (e) {
    await stopService(ctx.env, service);
    throw e;
  }
}

/**
 * Both configurations run side by side (the idle one costs nothing) and are measured in turn, run by run, so
 * that both are warm and a slow moment of the machine hits both alike.
 */
async function pair(
  ctx: Context,
  what: string,
  base: Variant,
  variant: Variant,
  target: ScalePair["target"] = "5%",
  runs = ctx.s.runs,
): Promise<ScalePair> {
  const baseRuns: number[] = [];
  const variantRuns: number[] = [];
  const errors: string[] = [];
  let otherLoad = 0;
  ctx.log(`  ${what}:`);
  const services: (Service | undefined)[] = [];
  try {
    for (const v of [base, variant]) {
      try {
        services.push(await startVariant(ctx, v));
      } catch (e) {
        services.push(undefined);
        errors.push(`${v.name}: ${(e as Error).message}`);
        ctx.log(` ${v.name} failed to start`);
      }
    }
    for (let run = 1; run <= runs; run++) {
      for (const [i, v, into] of [
        [0, base, baseRuns],
        [1, variant, variantRuns],
      ] as const) {
        const service = services[i];
        if (service === undefined) continue;
        try {
          const g = await ctx.guarded(v.name, 2, () =>
            ctx.wrk(service.port, 32, ctx.s.scale.durationS, v.names),
          );
          const w = g.value;
          otherLoad = Math.max(otherLoad, g.otherLoad);
          if (w.errors > 0) throw new Error(`${v.name}: ${w.errors} errors (${w.errorText})`);
          into.push(Math.round(w.rps));
          ctx.log(` ${v.name} ${into.at(-1)}`);
        } catch (e) {
          errors.push((e as Error).message);
          ctx.log(` ${v.name} failed`);
        }
      }
    }
  } finally {
    for (const service of services) await stopService(ctx.env, service);
  }
  ctx.log("\n");
  const b = median(baseRuns);
  const v = median(variantRuns);
  return {
    what,
    proxy: base.proxy ?? "trellis",
    target,
    baseline: base.name,
    variant: variant.name,
    baselineRps: round(b),
    variantRps: round(v),
    baselineRuns: baseRuns,
    variantRuns,
    ratio: round(ratio(v, b), 3),
    otherLoad,
    errors,
  };
}

/** GET /admin/metrics.json: how long it took and how big it was. */
function scrape(port: number): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/admin/metrics.json", agent: false, timeout: 10_000 },
      (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
        });
        res.on("end", () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - t0, bytes })
            : reject(new Error(`metrics.json answered ${res.statusCode}`)),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("metrics.json timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Scrapes /admin/metrics.json every second until `stop()`; returns the scrape times and the last size. */
function scraper(adminPort: number): { stop(): Promise<{ times: number[]; bytes: number; failed: number }> } {
  const times: number[] = [];
  let bytes = 0;
  let failed = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      try {
        const r = await scrape(adminPort);
        times.push(r.ms);
        bytes = r.bytes;
      } catch {
        failed++;
      }
      await sleep(Math.max(0, 1000 - (performance.now() - t)));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { times, bytes, failed };
    },
  };
}

/**
 * Open-loop p99 over 1,000 names, without and with a scraper, in alternating rounds (one per run) whose
 * histograms are merged per condition: the same total time each, spread over the same stretch of the run.
 */
async function scrapeCost(ctx: Context): Promise<ScrapeResult> {
  const s = ctx.s.scale;
  const names = s.size;
  const rounds = ctx.s.runs;
  const each = Math.max(1, Math.round(s.scrapeDurationS / rounds));
  const base = { names, rate: s.scrapeRate, durationS: each * rounds };
  ctx.log(`  metrics scrapes (${names} names, ${s.scrapeRate} rps, ${rounds} × ${each} s without and with):`);
  let service: Service | undefined;
  try {
    service = await startCase(ctx.env, "trellis", ctx.origin, { dtab: dtabs.wildcard(ctx.origin.port) });
    const adminPort = service.adminPort as number;
    // All the names exist (bound, with their metrics) before either measurement.
    await ctx.wrk(service.port, 32, s.warmupS, names);
    const without = new Histogram();
    const withScrapes = new Histogram();
    const times: number[] = [];
    let bytes = 0;
    let failed = 0;
    let errors = 0;
    const count = (r: OpenLoopResult) =>
      r.errors.status + r.errors.connection + r.errors.parse + r.errors.unfinished;
    for (let i = 0; i < rounds; i++) {
      const port = service.port;
      const run = () => ctx.openLoop(port, s.scrapeRate, each, { names, warmupS: 1 });
      const a = (await ctx.guarded("without scrapes", 1, run)).value;
      without.addJson(a.histogram);
      errors += count(a);
      const sc = scraper(adminPort);
      const b = (await ctx.guarded("with scrapes", 1, run)).value;
      const done = await sc.stop();
      withScrapes.addJson(b.histogram);
      errors += count(b);
      times.push(...done.times);
      bytes = done.bytes || bytes;
      failed += done.failed;
      ctx.log(` ${a.latency.p99Us}/${b.latency.p99Us}`);
    }
    const w = percentiles(without);
    const ws = percentiles(withScrapes);
    ctx.log(` → p99 ${w.p99Us} µs without, ${ws.p99Us} µs with\n`);
    const sorted = [...times].sort((x, y) => x - y);
    return {
      ...base,
      without: w,
      with: ws,
      addedP99Us: round(ws.p99Us - w.p99Us, 1),
      addedP999Us: round(ws.p999Us - w.p999Us, 1),
      scrapes: {
        count: times.length,
        failed,
        p50Ms: round(median(times), 2) as number,
        maxMs: round(sorted.at(-1) ?? Number.NaN, 2) as number,
        bytes,
      },
      errors,
    };
  } catch (e) {
    ctx.log(` failed: ${(e as Error).message.split("\n")[0]}\n`);
    return { ...base, error: (e as Error).message };
  } finally {
    await stopService(ctx.env, service);
  }
}

export async function scale(ctx: Context): Promise<ScaleResult> {
  const s = ctx.s.scale;
  const o = ctx.origin;
  ctx.log(
    `scale (Trellis one hop unless said, c32, ${s.durationS} s after ${s.warmupS} s warm-up, ${ctx.s.runs} runs)\n`,
  );
  const pairs: ScalePair[] = [];
  const n = s.size.toLocaleString("en-US");
  const one: Variant = { name: "1 dentry", dtab: dtabs.one(o.port), names: 0 };
  // The feature cost measured the way the other pairs are: both proxies running, measured in turn, so that a slow
  // moment of the machine hits both alike (the closed loop's 2 s points, one case after another, swing the ratio
  // from run to run); five runs each.
  if (ctx.s.cases.includes("trellis-bare"))
    pairs.push(
      await pair(
        ctx,
        "feature path (Trellis bare pass-through vs one hop)",
        { name: "bare pass-through", proxy: "trellis-bare", names: 0 },
        { name: "one hop", dtab: dtabs.one(o.port), names: 0 },
        "feature",
        Math.max(ctx.s.runs, 5),
      ),
    );
  if (o.extraPorts.length >= s.size) {
    const ports = o.extraPorts.slice(0, s.size);
    pairs.push(
      await pair(
        ctx,
        `endpoints in one replica set (1 vs ${n}, an io.l5d.fs file; p2c, the default balancer)`,
        { name: "1 endpoint", dtab: dtabs.fs(), replicaSet: [o.port], names: 0 },
        { name: `${n} endpoints`, dtab: dtabs.fs(), replicaSet: ports, names: 0 },
      ),
    );
    // The same with Finagle's aperture balancer, made for large replica sets: it sends to a window of endpoints
    // sized to the load, so a few connections stay warm instead of one per endpoint.
    pairs.push(
      await pair(
        ctx,
        `endpoints in one replica set (1 vs ${n}, the same file; aperture balancer)`,
        {
          name: "1 endpoint, aperture",
          dtab: dtabs.fs(),
          replicaSet: [o.port],
          names: 0,
          balancer: "aperture",
        },
        {
          name: `${n} endpoints, aperture`,
          dtab: dtabs.fs(),
          replicaSet: ports,
          names: 0,
          balancer: "aperture",
        },
      ),
    );
    // Context: what spreading the load over 1,000 upstream ports costs a proxy written in C.
    if (ctx.s.cases.includes("nginx"))
      pairs.push(
        await pair(
          ctx,
          `nginx: servers in one upstream block (1 vs ${n}, keep-alive)`,
          { name: "nginx, 1 server", proxy: "nginx", upstreamPorts: [o.port], names: 0 },
          { name: `nginx, ${n} servers`, proxy: "nginx", upstreamPorts: ports, names: 0 },
          false,
        ),
      );
    // Also informative: a dtab union is as many bound names (each its own client), picked by weight.
    pairs.push(
      await pair(
        ctx,
        `${n} bound names (union of /$/inet branches)`,
        { name: "1 bound name", dtab: dtabs.one(o.port), names: 0 },
        { name: `${n} bound names (union)`, dtab: dtabs.union(ports), names: 0 },
        false,
      ),
    );
  }
  pairs.push(
    await pair(ctx, `dentries (1 vs ${n})`, one, {
      name: `${n} dentries`,
      dtab: dtabs.dentries(s.size, dtabs.one(o.port)),
      names: 0,
    }),
  );
  pairs.push(
    await pair(
      ctx,
      `Host names (1 vs ${n}, /svc/* dtab)`,
      { name: "1 name", dtab: dtabs.wildcard(o.port), names: 1 },
      { name: `${n} names`, dtab: dtabs.wildcard(o.port), names: s.size },
    ),
  );
  const scrape = await scrapeCost(ctx);
  return { pairs, scrape };
}
