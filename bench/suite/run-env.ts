// The run set-up and teardown the benchmark suite and the soak share: tools, pinning, child processes, Ctrl-C, origin, noise.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDebianBinary, isRoot } from "../lib/apt.ts";
import { cpuSnapshot, foreignLoad } from "../lib/foreign-load.ts";
import type { Hiccups } from "../lib/hiccups.ts";
import { placement } from "../lib/pinning.ts";
import { ProcessGroup } from "../lib/processes.ts";
import type { Noise } from "./report.ts";
import { checkAnswers, type Env, type Origin, startNginxOrigin } from "./services.ts";

const HICCUPS = fileURLToPath(new URL("../lib/hiccups.ts", import.meta.url));

/** Other programs' CPU use, as a share of one CPU, under which the machine counts as quiet. */
export const QUIET = 0.15;

/** Where a run's progress goes (stderr: stdout carries the report). */
export type Log = (s: string) => void;

/**
 * Makes sure `binary` exists, installing the first of `packages` that installs (as root); else `fail`s with
 * how to install it.
 */
export function requireDebianBinary(
  binary: string,
  packages: readonly [string, ...string[]],
  log: Log,
  fail: (message: string) => never,
): void {
  if (ensureDebianBinary(binary, packages, log)) return;
  const pkg = packages[0];
  fail(
    `${binary} is missing: ${isRoot() ? `apt-get install -y ${pkg} failed` : `sudo apt-get install -y ${pkg}`}`,
  );
}

/** Other programs' use of the CPUs over `ms`, as a share of one CPU (before the run starts anything). */
async function othersLoad(ms: number): Promise<number> {
  const from = cpuSnapshot([]);
  await new Promise((r) => setTimeout(r, ms));
  return foreignLoad(from, cpuSnapshot([])).foreignShareOfOneCpu;
}

/**
 * Waits up to `minutes` until other programs use under `QUIET` of a CPU, saying so every 10 s as `name`;
 * returns their last share (the caller warns when it is still `QUIET` or more).
 */
export async function waitQuiet(minutes: number, name: string, log: Log): Promise<number> {
  const deadline = Date.now() + minutes * 60_000;
  for (;;) {
    const busy = await othersLoad(2000);
    if (busy < QUIET || Date.now() >= deadline) return busy;
    log(`${name}: other programs use ${(busy * 100).toFixed(0)}% of a CPU; waiting for a quiet machine\n`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

/** What a run starts its services with, and how it stops them all. */
export interface Run extends Env {
  /** Stops every child and removes the temp dir (once: later calls return the same promise). */
  cleanup(): Promise<void>;
}

export interface RunOptions {
  /** The prefix of the run's log lines ("bench", "bench:soak"). */
  readonly name: string;
  /** Pin with taskset (false: --no-pin). */
  readonly pin: boolean;
  /** The temp dir's name starts with it (machine-check.ts tells other benchmarks by it). */
  readonly tmpPrefix: string;
  readonly log: Log;
}

/**
 * Places the processes (this one with the load when pinned), makes the process group and a temp dir, stops
 * everything on SIGINT (exit 130) and SIGTERM (143), kills what is left on exit, and logs the placement.
 */
export function startRun(o: RunOptions): Run {
  const place = placement(!o.pin);
  if (place.pinned) {
    // This script's own work (scrapes, start-up probes, held connections' bookkeeping) goes with the load.
    spawnSync("/usr/bin/taskset", ["-pc", place.cpus("load") as string, String(process.pid)], {
      stdio: "ignore",
    });
  }
  const group = new ProcessGroup();
  const tmp = mkdtempSync(join(tmpdir(), o.tmpPrefix));
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= group.close().finally(() => rmSync(tmp, { recursive: true, force: true }));
    return cleaning;
  };
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)
    process.once(signal, () => {
      o.log(`\n${o.name}: ${signal}: stopping everything it started\n`);
      cleanup().finally(() => process.exit(code));
    });
  process.once("exit", () => {
    group.killAllNow();
    rmSync(tmp, { recursive: true, force: true });
  });
  o.log(`${o.name}: ${place.description}\n`);
  return { group, tmp, place, cleanup };
}

/** The nginx origin (`return 200`, on the load CPU, also answering on `extra` more ports), checked to answer. */
export async function startOrigin(env: Env, extra = 0): Promise<Origin> {
  const origin = await startNginxOrigin(env, extra);
  await checkAnswers(origin.port, "the nginx origin");
  return origin;
}

/** One CPU's noise floor: a thread spinning on it for `ms`, counting the time it did not run. */

/** Spins on each CPU of the placement at once for `ms` and reports what each lost. */
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
