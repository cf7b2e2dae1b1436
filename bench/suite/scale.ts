// Scale: Trellis's c32 throughput with 1 vs 1,000 endpoints, dentries and Host names, and the p99 cost of metric scrapes.

import { request } from "node:http";
import type { Percentiles } from "../lib/open-loop.ts";
import { median, ratio, round } from "../lib/stats.ts";
import { type Context, sleep } from "./context.ts";
import { checkAnswers, dtabs, HOST, type Service, startCase, stopService } from "./services.ts";

export interface ScalePair {
  readonly what: string;
  readonly baseline: string;
  readonly variant: string;
  /** Median c32 requests per second, and every run's. */
  readonly baselineRps: number | undefined;
  readonly variantRps: number | undefined;
  readonly baselineRuns: readonly number[];
  readonly variantRuns: readonly number[];
  /** variant ÷ baseline. */
  readonly ratio: number | undefined;
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
  readonly dtab: readonly string[];
  /** Host names wrk goes round (0: the one name, Host: bench). */
  readonly names: number;
}

async function measure(ctx: Context, v: Variant): Promise<number> {
  let service: Service | undefined;
  try {
    service = await startCase(ctx.env, "trellis", ctx.origin, { dtab: v.dtab });
    await checkAnswers(service.port, `Trellis (${v.name})`, v.names > 0 ? `${HOST}-0` : HOST);
    // The warm-up binds the names and opens the pools (1,000 endpoints each get a connection or more).
    await ctx.wrk(service.port, 32, ctx.s.scale.warmupS, v.names);
    const w = await ctx.wrk(service.port, 32, ctx.s.scale.durationS, v.names);
    if (w.errors > 0) throw new Error(`${v.name}: ${w.errors} errors (${w.errorText})`);
    return w.rps;
  } finally {
    await stopService(ctx.env, service);
  }
}

async function pair(ctx: Context, what: string, base: Variant, variant: Variant): Promise<ScalePair> {
  const baseRuns: number[] = [];
  const variantRuns: number[] = [];
  const errors: string[] = [];
  ctx.log(`  ${what}:`);
  for (let run = 1; run <= ctx.s.runs; run++) {
    for (const [v, into] of [
      [base, baseRuns],
      [variant, variantRuns],
    ] as const) {
      try {
        into.push(Math.round(await measure(ctx, v)));
        ctx.log(` ${v.name} ${into.at(-1)}`);
      } catch (e) {
        errors.push((e as Error).message);
        ctx.log(` ${v.name} failed`);
      }
    }
  }
  ctx.log("\n");
  const b = median(baseRuns);
  const v = median(variantRuns);
  return {
    what,
    baseline: base.name,
    variant: variant.name,
    baselineRps: round(b),
    variantRps: round(v),
    baselineRuns: baseRuns,
    variantRuns,
    ratio: round(ratio(v, b), 3),
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

async function scrapeCost(ctx: Context): Promise<ScrapeResult> {
  const s = ctx.s.scale;
  const names = s.size;
  const base = { names, rate: s.scrapeRate, durationS: s.scrapeDurationS };
  ctx.log(
    `  metrics scrapes (${names} names, ${s.scrapeRate} rps, ${s.scrapeDurationS} s without, then with):`,
  );
  let service: Service | undefined;
  try {
    service = await startCase(ctx.env, "trellis", ctx.origin, { dtab: dtabs.wildcard(ctx.origin.port) });
    const adminPort = service.adminPort as number;
    // All the names exist (bound, with their metrics) before either measurement.
    await ctx.wrk(service.port, 32, 1, names);
    const without = await ctx.openLoop(service.port, s.scrapeRate, s.scrapeDurationS, { names });
    ctx.log(` without p99 ${without.latency.p99Us} µs`);
    const times: number[] = [];
    let bytes = 0;
    let stop = false;
    const scraper = (async () => {
      while (!stop) {
        const t = performance.now();
        try {
          const r = await scrape(adminPort);
          times.push(r.ms);
          bytes = r.bytes;
        } catch {
          // Counted as missing scrapes below.
        }
        await sleep(Math.max(0, 1000 - (performance.now() - t)));
      }
    })();
    const withScrapes = await ctx.openLoop(service.port, s.scrapeRate, s.scrapeDurationS, { names });
    stop = true;
    await scraper;
    ctx.log(`, with p99 ${withScrapes.latency.p99Us} µs\n`);
    const sorted = [...times].sort((a, b) => a - b);
    const errs = (r: typeof without) =>
      r.errors.status + r.errors.connection + r.errors.parse + r.errors.unfinished;
    return {
      ...base,
      without: without.latency,
      with: withScrapes.latency,
      addedP99Us: round(withScrapes.latency.p99Us - without.latency.p99Us, 1),
      addedP999Us: round(withScrapes.latency.p999Us - without.latency.p999Us, 1),
      scrapes: {
        count: times.length,
        p50Ms: round(median(times), 2) as number,
        maxMs: round(sorted.at(-1) ?? Number.NaN, 2) as number,
        bytes,
      },
      errors: errs(without) + errs(withScrapes),
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
    `scale (Trellis one hop, c32, ${s.durationS} s after ${s.warmupS} s warm-up, ${ctx.s.runs} runs)\n`,
  );
  const pairs: ScalePair[] = [];
  const one: Variant = { name: "1 endpoint", dtab: dtabs.one(o.port), names: 0 };
  if (o.extraPorts.length >= s.size)
    pairs.push(
      await pair(ctx, `endpoints in one replica set (1 vs ${s.size})`, one, {
        name: `${s.size} endpoints`,
        dtab: dtabs.endpoints(o.extraPorts.slice(0, s.size)),
        names: 0,
      }),
    );
  pairs.push(
    await pair(
      ctx,
      `dentries (1 vs ${s.size})`,
      { ...one, name: "1 dentry" },
      { name: `${s.size} dentries`, dtab: dtabs.dentries(s.size, dtabs.one(o.port)), names: 0 },
    ),
  );
  pairs.push(
    await pair(
      ctx,
      `Host names (1 vs ${s.size}, /svc/* dtab)`,
      { name: "1 name", dtab: dtabs.wildcard(o.port), names: 1 },
      { name: `${s.size} names`, dtab: dtabs.wildcard(o.port), names: s.size },
    ),
  );
  const scrape = await scrapeCost(ctx);
  return { pairs, scrape };
}
