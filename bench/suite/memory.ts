// Memory per idle keep-alive connection (1,000 and 4,000 held) and the time from exec to the first proxied 200.

import { fileURLToPath } from "node:url";
import { freePort, get } from "../lib/net.ts";
import { type Child, readRss } from "../lib/processes.ts";
import { median, round } from "../lib/stats.ts";
import { type Context, sleep } from "./context.ts";
import {
  type Case,
  CLOSED_ONLY,
  checkAnswers,
  dtabs,
  HOST,
  LABEL,
  NOFILE,
  nginxProxyCommand,
  type ProxyKind,
  peerCommand,
  replicaSet,
  rssMiB,
  type Service,
  startCase,
  startNodeOrigin,
  stopService,
  trellisCommand,
} from "./services.ts";

const HOLD_CLIENT = fileURLToPath(new URL("../hold-connections.ts", import.meta.url));

export interface HeldPoint {
  readonly target: number;
  readonly held: number;
  readonly failed: number;
  readonly rssMiB: number | undefined;
  /** (RSS with them − RSS before) ÷ connections held, KiB. */
  readonly perConnectionKiB: number | undefined;
}

export interface ConnectionMemory {
  readonly kind: ProxyKind;
  readonly label: string;
  /** RSS 0.5 s after start, before any request. */
  readonly idleMiB?: number;
  /** RSS after a 1 s warm-up at 8 connections and a pause, before holding any. */
  readonly beforeMiB?: number;
  readonly points: readonly HeldPoint[];
  readonly error?: string;
}

export interface Startup {
  readonly kind: ProxyKind;
  readonly label: string;
  /** "plain" (one route), or "1,000 dentries + 1,000 endpoints" (an io.l5d.fs replica set of 1,000 lines). */
  readonly config: string;
  readonly ms: number | undefined;
  readonly runsMs: readonly number[];
  readonly error?: string;
}

export interface MemoryResult {
  readonly connections: readonly ConnectionMemory[];
  readonly startup: readonly Startup[];
  /** RSS of a bare Node HTTP server (the Node origin, no proxy) 0.5 s after it listens, on the proxies' CPU. */
  readonly bareNodeServerIdleMiB?: number;
}

/** Proxies that take part (not two hops, whose first sidecar is the one-hop proxy, nor the closed-loop-only cases). */
function proxies(cases: readonly Case[]): ProxyKind[] {
  return cases.filter(
    (c): c is ProxyKind => c !== "direct" && c !== "trellis-2hop" && !CLOSED_ONLY.includes(c),
  );
}

async function holdConnections(ctx: Context, kind: ProxyKind): Promise<ConnectionMemory> {
  let service: Service | undefined;
  let holder: Child | undefined;
  try {
    service = await startCase(ctx.env, kind, ctx.origin);
    await sleep(500);
    const idle = rssMiB(service);
    await checkAnswers(service.port, LABEL[kind]);
    await ctx.wrk(service.port, 8, 1);
    await sleep(ctx.s.memory.settleMs);
    const before = rssMiB(service);
    const [cmd, argv] = ctx.env.place.wrap(
      "load",
      process.execPath,
      [HOLD_CLIENT, String(service.port), HOST],
      NOFILE,
    );
    holder = ctx.env.group.spawn("hold-connections", cmd, argv, undefined, { stdin: "pipe" });
    const h = holder;
    const points: HeldPoint[] = [];
    for (const target of ctx.s.memory.held) {
      const seen = (h.output().match(/^held /gm) ?? []).length;
      h.process.stdin?.write(`${target}\n`);
      const deadline = Date.now() + 60_000;
      while ((h.output().match(/^held /gm) ?? []).length <= seen) {
        if (Date.now() > deadline || h.process.exitCode !== null)
          throw new Error(`hold-connections did not report:\n${h.output()}`);
        await sleep(50);
      }
      const m = [...h.output().matchAll(/^held (\d+) failed (\d+)$/gm)].at(-1);
      const held = Number(m?.[1] ?? 0);
      await sleep(ctx.s.memory.settleMs);
      const rss = rssMiB(service);
      points.push({
        target,
        held,
        failed: Number(m?.[2] ?? 0),
        rssMiB: round(rss, 1),
        perConnectionKiB:
          rss === undefined || before === undefined || held === 0
            ? undefined
            : round(((rss - before) * 1024) / held, 1),
      });
    }
    return {
      kind,
      label: LABEL[kind],
      ...(idle === undefined ? {} : { idleMiB: round(idle, 1) }),
      ...(before === undefined ? {} : { beforeMiB: round(before, 1) }),
      points,
    };
  } catch (e) {
    return { kind, label: LABEL[kind], points: [], error: (e as Error).message };
  } finally {
    if (holder) {
      holder.process.stdin?.end();
      await ctx.env.group.stop(holder, 5000);
    }
    await stopService(ctx.env, service);
  }
}

/** Spawns a proxy on `port` and asks it until it answers 200; the ms from spawn to that answer. */
async function timeToFirstResponse(ctx: Context, name: string, command: readonly string[], port: number) {
  const [cmd, argv] = ctx.env.place.wrap("sut", command[0] as string, command.slice(1));
  const started = performance.now();
  const child = ctx.env.group.spawn(name, cmd, argv);
  try {
    const deadline = started + 15_000;
    for (;;) {
      if (child.process.exitCode !== null || child.process.signalCode !== null)
        throw new Error(`${name} exited before answering:\n${child.output()}`);
      try {
        const r = await get(port, HOST, "/", 2000);
        if (r.status === 200) return performance.now() - started;
      } catch {
        // Not listening yet: ask again at once.
      }
      if (performance.now() > deadline) throw new Error(`${name} did not answer 200 within 15 s`);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await ctx.env.group.stop(child);
  }
}

async function startup(ctx: Context, kind: ProxyKind, big: boolean): Promise<Startup> {
  const config = big ? `${ctx.s.scale.size} dentries + ${ctx.s.scale.size} endpoints` : "plain";
  const runsMs: number[] = [];
  try {
    for (let i = 0; i < ctx.s.memory.startupRepeats; i++) {
      const port = await freePort();
      const up = ctx.origin.port;
      let command: string[];
      if (kind === "trellis" && big) {
        // One replica set of 1,000 endpoints (an io.l5d.fs file) behind 1,000 dentries, the real one first.
        const root = replicaSet(
          ctx.env,
          "trellis-startup-big",
          ctx.origin.extraPorts.slice(0, ctx.s.scale.size),
        );
        const dtab = dtabs.dentries(ctx.s.scale.size, dtabs.fs());
        command = trellisCommand(ctx.env, "trellis-startup-big", port, dtab, { fsRoot: root });
      } else if (kind === "trellis")
        command = trellisCommand(ctx.env, "trellis-startup-plain", port, dtabs.one(up));
      else if (kind === "nginx") command = nginxProxyCommand(ctx.env, port, [up]);
      else if (kind === "haproxy" || kind === "node" || kind === "http-proxy" || kind === "undici")
        command = peerCommand(ctx.env, kind, port, up);
      else throw new Error(`no start-up timing for ${kind}`);
      runsMs.push(round(await timeToFirstResponse(ctx, kind, command, port), 1) as number);
      await sleep(100);
    }
    return { kind, label: LABEL[kind], config, ms: round(median(runsMs), 1), runsMs };
  } catch (e) {
    return {
      kind,
      label: LABEL[kind],
      config,
      ms: round(median(runsMs), 1),
      runsMs,
      error: (e as Error).message,
    };
  }
}

/**
 * The floor for any proxy written in Node: the RSS of a bare Node HTTP server (node:http answering 12 bytes),
 * started the way the proxies are and read 0.5 s after it listens, before any request; median of 3.
 */
async function bareNodeServerIdle(ctx: Context): Promise<number | undefined> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const server = await startNodeOrigin(ctx.env, "sut");
    try {
      await sleep(500);
      const pid = server.children[0]?.process.pid;
      const rss = pid === undefined ? undefined : readRss(pid);
      if (rss !== undefined) runs.push(rss.rssKiB / 1024);
    } finally {
      await stopService(ctx.env, server);
    }
  }
  return runs.length === 0 ? undefined : round(median(runs), 1);
}

export async function memory(ctx: Context): Promise<MemoryResult> {
  const list = proxies(ctx.s.cases);
  ctx.log(`memory per idle connection (${ctx.s.memory.held.join(", then ")} held):`);
  const connections: ConnectionMemory[] = [];
  for (const kind of list) {
    ctx.log(` ${kind}`);
    const r = await holdConnections(ctx, kind);
    if (r.error) ctx.log(` failed: ${r.error.split("\n")[0]}`);
    connections.push(r);
  }
  ctx.log(`\nexec to first proxied 200 (median of ${ctx.s.memory.startupRepeats}):`);
  const times: Startup[] = [];
  for (const kind of list) {
    ctx.log(` ${kind}`);
    times.push(await startup(ctx, kind, false));
    if (kind === "trellis" && ctx.origin.extraPorts.length > 0) times.push(await startup(ctx, kind, true));
  }
  ctx.log("\n");
  for (const t of times)
    if (t.error) ctx.log(`  ${t.label} (${t.config}) failed: ${t.error.split("\n")[0]}\n`);
  const bare = await bareNodeServerIdle(ctx);
  return { connections, startup: times, ...(bare === undefined ? {} : { bareNodeServerIdleMiB: bare }) };
}
