// Whether the machine is quiet enough to soak on: other benchmark processes running, and each CPU's noise floor.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Hiccups } from "../lib/hiccups.ts";
import type { Env } from "../suite/services.ts";

const HICCUPS = fileURLToPath(new URL("../lib/hiccups.ts", import.meta.url));

/** Command lines that belong to a benchmark (this repository's, or a load tool). */
const BENCHMARK =
  /bench\/(suite|soak|macro\/|micro\/|open-loop-client)|trellis-bench-|trellis-soak-|\/usr\/bin\/wrk\b/;

/**
 * Other benchmark processes on the machine (their pid and command line), leaving out this process and the
 * ones in `mine`. Two benchmarks at once on two cores measure each other.
 */
export function otherBenchmarks(mine: ReadonlySet<number> = new Set()): string[] {
  const found: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return found;
  }
  for (const d of pids) {
    const pid = Number(d);
    if (pid === process.pid || pid === process.ppid || mine.has(pid)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue;
    }
    if (BENCHMARK.test(cmd)) found.push(`${pid} ${cmd.slice(0, 160)}`);
  }
  return found;
}

/** One CPU's noise floor: a thread spinning on it for `ms`, counting the time it did not run. */
export interface Noise extends Hiccups {
  readonly when: "start" | "end";
  readonly cpu: string;
}

/** Spins on each CPU of the placement at once (as the suite does) and reports what each lost. */
export async function machineNoise(env: Env, when: "start" | "end", ms: number): Promise<Noise[]> {
  const roles = env.place.pinned ? (["sut", "load"] as const) : (["sut"] as const);
  return Promise.all(
    roles.map(async (role) => {
      const [cmd, argv] = env.place.wrap(role, process.execPath, [HICCUPS, String(ms)]);
      const child = env.group.spawn(`hiccups ${role}`, cmd, argv);
      await child.exited();
      const h = JSON.parse(child.output().trim().split("\n").at(-1) ?? "{}") as Hiccups;
      return { when, cpu: env.place.cpus(role) ?? "any", ...h };
    }),
  );
}

export function describeNoise(n: readonly Noise[]): string {
  return n
    .map(
      (x) =>
        `${x.when}, CPU ${x.cpu}: ${(x.lostShare * 100).toFixed(1)}% lost, ${x.over1msPerS} gaps > 1 ms per s, ` +
        `longest ${x.maxMs} ms`,
    )
    .join("; ");
}
