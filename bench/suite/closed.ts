// Closed loop: the most requests per second each case serves with wrk -t1 at 1, 8, 32 and 512 connections.

import { median, ratio, round } from "../lib/stats.ts";
import type { WrkResult } from "../lib/wrk.ts";
import { type Context, sleep } from "./context.ts";
import {
  type Case,
  CLOSED_ONLY,
  checkAnswers,
  LABEL,
  type Origin,
  rssMiB,
  type Service,
  sampleRss,
  startCase,
  startNodeOrigin,
  stopService,
} from "./services.ts";

/** One connection count's medians over the runs. */
export interface ClosedPoint {
  readonly connections: number;
  readonly rps: number | undefined;
  /** Every run's requests per second, in run order. */
  readonly rpsRuns: readonly number[];
  readonly p50Us: number | undefined;
  readonly p99Us: number | undefined;
  readonly errors: number;
  /** The largest share of one CPU other programs used during one of the runs. */
  readonly otherLoad: number | undefined;
  ratioToDirect?: number;
  ratioToNginx?: number;
  /** Latency added over direct at the median, µs. */
  addedP50Us?: number;
}

export interface ClosedCase {
  readonly kind: Case;
  readonly label: string;
  readonly origin: "nginx" | "node";
  readonly points: ClosedPoint[];
  /** RSS of the proxy process(es) 0.5 s after start, before any load, MiB. */
  readonly idleMiB: number | undefined;
  /** The largest RSS sampled during the c32 run (median of the runs), MiB. */
  readonly saturatedMiB: number | undefined;
  readonly errors: readonly string[];
}

export interface ClosedResult {
  readonly cases: readonly ClosedCase[];
  /** The Node origin's second case: c32 only. */
  readonly nodeOrigin: readonly ClosedCase[];
}

interface Raw {
  readonly wrk: Map<number, (WrkResult & { readonly otherLoad: number })[]>;
  readonly idle: (number | undefined)[];
  readonly saturated: (number | undefined)[];
  readonly errors: string[];
}

const SATURATED_AT = 32;

/** Starts a case and checks that it answers; its idle RSS goes to `raw`. Undefined (and the error noted) on failure. */
async function startChecked(
  ctx: Context,
  kind: Case,
  origin: Origin,
  raw: Raw,
): Promise<Service | undefined> {
  let service: Service | undefined;
  try {
    service = await startCase(ctx.env, kind, origin);
    await sleep(kind === "direct" ? 0 : 500);
    raw.idle.push(rssMiB(service));
    await checkAnswers(service.port, LABEL[kind]);
    return service;
  } catch (e) {
    await stopService(ctx.env, service);
    raw.errors.push((e as Error).message);
    ctx.log(`\n  ${LABEL[kind]} failed: ${(e as Error).message.split("\n")[0]}\n`);
    return undefined;
  }
}

/** One run of one case: wrk at each connection count in turn. */
async function measureOnce(
  ctx: Context,
  service: Service,
  connections: readonly number[],
  durationS: number,
  raw: Raw,
): Promise<void> {
  try {
    for (const c of connections) {
      const sampler = c === SATURATED_AT ? sampleRss(service) : undefined;
      const g = await ctx.guarded(`${service.kind} c${c}`, 2, () => ctx.wrk(service.port, c, durationS));
      const w = { ...g.value, otherLoad: g.otherLoad };
      if (sampler) raw.saturated.push(sampler.stop());
      let list = raw.wrk.get(c);
      if (list === undefined) {
        list = [];
        raw.wrk.set(c, list);
      }
      list.push(w);
    }
  } catch (e) {
    raw.errors.push((e as Error).message);
    ctx.log(`\n  ${LABEL[service.kind]} failed: ${(e as Error).message.split("\n")[0]}\n`);
  }
}

function summarize(
  kind: Case,
  origin: "nginx" | "node",
  connections: readonly number[],
  raw: Raw,
): ClosedCase {
  const points = connections.map((c): ClosedPoint => {
    const runs = raw.wrk.get(c) ?? [];
    return {
      connections: c,
      rps: round(median(runs.map((w) => w.rps))),
      rpsRuns: runs.map((w) => Math.round(w.rps)),
      p50Us: round(median(runs.map((w) => w.p50Ms * 1000)), 1),
      p99Us: round(median(runs.map((w) => w.p99Ms * 1000)), 1),
      errors: runs.reduce((n, w) => n + w.errors, 0),
      otherLoad: runs.length === 0 ? undefined : Math.max(...runs.map((w) => w.otherLoad)),
    };
  });
  return {
    kind,
    label: LABEL[kind],
    origin,
    points,
    idleMiB: round(median(raw.idle), 1),
    saturatedMiB: round(median(raw.saturated), 1),
    errors: raw.errors,
  };
}

/** Fills in the ratios to direct and to nginx, and the added p50, connection count by connection count. */
function derive(cases: readonly ClosedCase[]): void {
  const direct = cases.find((c) => c.kind === "direct");
  const nginx = cases.find((c) => c.kind === "nginx");
  for (const c of cases)
    for (const p of c.points) {
      const d = direct?.points.find((x) => x.connections === p.connections);
      const n = nginx?.points.find((x) => x.connections === p.connections);
      const rd = round(ratio(p.rps, d?.rps), 3);
      const rn = round(ratio(p.rps, n?.rps), 3);
      if (rd !== undefined) p.ratioToDirect = rd;
      if (rn !== undefined) p.ratioToNginx = rn;
      if (p.p50Us !== undefined && d?.p50Us !== undefined) p.addedP50Us = round(p.p50Us - d.p50Us, 1);
    }
}

/**
 * Starts every case at once (an idle proxy costs next to nothing) and warms each up, then goes round them run by
 * run (run 1 of every case, then run 2, ...), so that the proxies are measured warm, as a long-running sidecar
 * is, and a slow minute of the machine hits every case alike.
 */
async function runAll(
  ctx: Context,
  origin: Origin,
  cases: readonly Case[],
  connections: readonly number[],
  durationS: number,
): Promise<ClosedCase[]> {
  const raws = new Map<Case, Raw>(
    cases.map((k) => [k, { wrk: new Map(), idle: [], saturated: [], errors: [] } satisfies Raw]),
  );
  const services = new Map<Case, Service>();
  try {
    ctx.log("  start and warm up:");
    for (const kind of cases) {
      ctx.log(` ${kind}`);
      const raw = raws.get(kind) as Raw;
      const service = await startChecked(ctx, kind, origin, raw);
      if (service === undefined) continue;
      services.set(kind, service);
      try {
        if (ctx.s.closed.warmupS > 0) await ctx.wrk(service.port, 32, ctx.s.closed.warmupS);
      } catch (e) {
        raw.errors.push((e as Error).message);
      }
    }
    ctx.log("\n");
    for (let run = 1; run <= ctx.s.runs; run++) {
      ctx.log(`  run ${run}/${ctx.s.runs}:`);
      for (const kind of cases) {
        const service = services.get(kind);
        if (service === undefined) continue;
        ctx.log(` ${kind}`);
        await measureOnce(ctx, service, connections, durationS, raws.get(kind) as Raw);
      }
      ctx.log("\n");
    }
  } finally {
    for (const service of services.values()) await stopService(ctx.env, service);
  }
  const out = cases.map((k) => summarize(k, origin.kind, connections, raws.get(k) as Raw));
  derive(out);
  return out;
}

export async function closedLoop(ctx: Context): Promise<ClosedResult> {
  const s = ctx.s.closed;
  ctx.log(
    `closed loop (wrk -t1, ${s.connections.join("/")} connections, ${s.durationS} s each, nginx origin)\n`,
  );
  const cases = await runAll(ctx, ctx.origin, ctx.s.cases, s.connections, s.durationS);
  let nodeOrigin: ClosedCase[] = [];
  if (s.nodeOrigin) {
    ctx.log(`closed loop, Node origin (c32, ${s.durationS} s)\n`);
    const origin = await startNodeOrigin(ctx.env);
    try {
      const cases = ctx.s.cases.filter((k) => !CLOSED_ONLY.includes(k));
      nodeOrigin = await runAll(ctx, origin, cases, [32], s.durationS);
    } finally {
      await stopService(ctx.env, origin);
    }
  }
  return { cases, nodeOrigin };
}
