// Open loop: latency percentiles at fixed request rates, from the intended send time, and RSS while at 1,000 rps.

import type { OpenLoopResult, Percentiles } from "../lib/open-loop.ts";
import { round } from "../lib/stats.ts";
import type { Context } from "./context.ts";
import {
  type Case,
  CLOSED_ONLY,
  checkAnswers,
  LABEL,
  NODE_PROXIES,
  type Service,
  sampleRss,
  startCase,
  stopService,
} from "./services.ts";

export interface Added {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export interface OpenRun {
  readonly kind: Case;
  readonly label: string;
  readonly rate: number;
  readonly result?: Omit<OpenLoopResult, "histogram">;
  /** The share of one CPU other programs used during the run. */
  readonly otherLoad?: number;
  /** The largest RSS of the proxy process(es) sampled during the run, MiB. */
  readonly rssMiB?: number;
  /** Over direct at the same rate. */
  added?: Added;
  readonly error?: string;
}

export interface OpenResult {
  readonly runs: OpenRun[];
}

export function addedOver(l: Percentiles, base: Percentiles): Added {
  return {
    p50Us: round(l.p50Us - base.p50Us, 1) as number,
    p99Us: round(l.p99Us - base.p99Us, 1) as number,
    p999Us: round(l.p999Us - base.p999Us, 1) as number,
    maxUs: round(l.maxUs - base.maxUs, 1) as number,
  };
}

export async function openLoop(ctx: Context): Promise<OpenResult> {
  const s = ctx.s.open;
  ctx.log(
    `open loop (${s.rates.join(" and ")} rps, ${s.durationS} s each after ${s.warmupS} s warm-up ` +
      `(${s.warmupAfterS} s at the next rate), ${s.connections} connections)\n`,
  );
  const runs: OpenRun[] = [];
  for (const kind of ctx.s.cases.filter((k) => !CLOSED_ONLY.includes(k))) {
    const only =
      kind === "trellis-2hop"
        ? s.twoHopRates
        : kind !== "node" && (NODE_PROXIES as readonly Case[]).includes(kind)
          ? s.libraryRates
          : s.rates;
    const rates = s.rates.filter((r) => only.includes(r));
    let service: Service | undefined;
    ctx.log(`  ${kind}:`);
    try {
      service = await startCase(ctx.env, kind, ctx.origin);
      await checkAnswers(service.port, LABEL[kind]);
      for (const [i, rate] of rates.entries()) {
        ctx.log(` ${rate} rps`);
        const warmupS = i === 0 ? s.warmupS : s.warmupAfterS;
        try {
          const sampler = sampleRss(service, 1000);
          const svc = service;
          const g = await ctx.guarded(`${kind} ${rate} rps`, 1, () =>
            ctx.openLoop(svc.port, rate, s.durationS, { warmupS }),
          );
          const r = g.value;
          const rss = sampler.stop();
          const { histogram: _h, ...result } = r;
          runs.push({
            kind,
            label: LABEL[kind],
            rate,
            result,
            otherLoad: g.otherLoad,
            ...(rss === undefined ? {} : { rssMiB: round(rss, 1) }),
          });
          ctx.log(` (p50 ${r.latency.p50Us} µs, p99 ${r.latency.p99Us} µs)`);
        } catch (e) {
          runs.push({ kind, label: LABEL[kind], rate, error: (e as Error).message });
          ctx.log(` failed: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    } catch (e) {
      for (const rate of rates) runs.push({ kind, label: LABEL[kind], rate, error: (e as Error).message });
      ctx.log(` failed: ${(e as Error).message.split("\n")[0]}`);
    } finally {
      await stopService(ctx.env, service);
    }
    ctx.log("\n");
  }
  for (const r of runs) {
    const base = runs.find((d) => d.kind === "direct" && d.rate === r.rate)?.result;
    if (r.result && base && r.kind !== "direct") r.added = addedOver(r.result.latency, base.latency);
  }
  return { runs };
}
