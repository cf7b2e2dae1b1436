// Whether the machine is quiet enough to soak on: other benchmark processes running, and the noise floor in words for the report.

import { readdirSync, readFileSync } from "node:fs";
import type { Noise } from "../suite/report.ts";

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

export function describeNoise(n: readonly Noise[]): string {
  return n
    .map(
      (x) =>
        `${x.when}, CPU ${x.cpu}: ${(x.lostShare * 100).toFixed(1)}% lost, ${x.over1msPerS} gaps > 1 ms per s, ` +
        `longest ${x.maxMs} ms`,
    )
    .join("; ");
}
