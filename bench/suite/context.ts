// The suite's settings (full or --quick) and the context every section runs in: processes, placement, load tools.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSnapshot, foreignLoad } from "../lib/foreign-load.ts";
import type { OpenLoopResult } from "../lib/open-loop.ts";
import { runWrk, type WrkResult } from "../lib/wrk.ts";
import { type Case, type Env, HOST, type Origin } from "./services.ts";

export type Section = "closed" | "open" | "memory" | "scale";
export const SECTIONS: readonly Section[] = ["closed", "open", "memory", "scale"];

export interface Settings {
  readonly quick: boolean;
  readonly runs: number;
  readonly sections: readonly Section[];
  readonly cases: readonly Case[];
  readonly closed: {
    readonly connections: readonly number[];
    readonly durationS: number;
    readonly warmupS: number;
    /** The Node origin's second case: c32 only. */
    readonly nodeOrigin: boolean;
  };
  readonly open: {
    readonly rates: readonly number[];
    readonly durationS: number;
    /** Warm-up at the run's rate before a case's first rate (the proxy has just started). */
    readonly warmupS: number;
    /** Warm-up before the next rates of the same case (the proxy is warm; the generator's connections are new). */
    readonly warmupAfterS: number;
    readonly connections: number;
    /** Rates at which the two-hop case runs (the highest is left out of the full run, for time). */
    readonly twoHopRates: readonly number[];
    /** Rates at which the Node proxy libraries (http-proxy, undici) run (likewise). */
    readonly libraryRates: readonly number[];
  };
  readonly memory: {
    readonly held: readonly number[];
    readonly startupRepeats: number;
    readonly settleMs: number;
  };
  readonly scale: {
    readonly durationS: number;
    readonly warmupS: number;
    readonly size: number;
    readonly scrapeDurationS: number;
    readonly scrapeRate: number;
  };
}

export function settings(
  quick: boolean,
  runs: number | undefined,
  sections: readonly Section[],
  cases: readonly Case[],
): Settings {
  return {
    quick,
    runs: runs ?? (quick ? 1 : 3),
    sections,
    cases,
    closed: { connections: [1, 8, 32, 512], durationS: quick ? 1 : 2, warmupS: 1, nodeOrigin: true },
    open: {
      rates: [1000, 5000],
      durationS: quick ? 4 : 30,
      // At the run's own rate (no closed-loop burst first, which would leave the heap grown for the RSS reading).
      warmupS: quick ? 1 : 3,
      warmupAfterS: 1,
      connections: 16,
      twoHopRates: quick ? [1000, 5000] : [1000],
      libraryRates: quick ? [1000, 5000] : [1000],
    },
    memory: { held: [1000, 4000], startupRepeats: quick ? 3 : 5, settleMs: quick ? 500 : 1000 },
    scale: {
      durationS: quick ? 1 : 3,
      warmupS: quick ? 1 : 2,
      size: 1000,
      scrapeDurationS: quick ? 4 : 30,
      scrapeRate: 1000,
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A measurement with the share of one CPU that other programs used meanwhile, and the attempts it took. */
export interface Guarded<T> {
  readonly value: T;
  readonly otherLoad: number;
  readonly attempts: number;
}

/** Other programs using more than this share of one CPU during a measurement make it be taken again. */
export const OTHER_LOAD_LIMIT = 0.2;

const OPEN_LOOP_CLIENT = fileURLToPath(new URL("../open-loop-client.ts", import.meta.url));

/** What every section gets: the environment, the settings, the nginx origin (with its 1,000 extra ports). */
export class Context {
  readonly env: Env;
  readonly s: Settings;
  readonly origin: Origin;
  readonly log: (text: string) => void;
  readonly #scripts = new Map<number, string>();

  constructor(env: Env, s: Settings, origin: Origin, log: (text: string) => void) {
    this.env = env;
    this.s = s;
    this.origin = origin;
    this.log = log;
  }

  /**
   * Runs a measurement and takes it again (up to `retries` more times) while other programs used more than
   * OTHER_LOAD_LIMIT of a CPU meanwhile; keeps the attempt they disturbed least.
   */
  async guarded<T>(what: string, retries: number, run: () => Promise<T>): Promise<Guarded<T>> {
    let best: Guarded<T> | undefined;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      const from = cpuSnapshot(this.env.group.pids());
      const value = await run();
      const otherLoad = foreignLoad(from, cpuSnapshot(this.env.group.pids())).foreignShareOfOneCpu;
      if (best === undefined || otherLoad < best.otherLoad) best = { value, otherLoad, attempts: attempt };
      if (otherLoad <= OTHER_LOAD_LIMIT) break;
      if (attempt <= retries)
        this.log(` [${what}: other programs used ${(otherLoad * 100).toFixed(0)}% of a CPU, again]`);
    }
    return best as Guarded<T>;
  }

  /** wrk -t1 on the load CPU; `names` > 0 rotates the Host header over bench-0 … bench-(names-1). */
  wrk(port: number, connections: number, durationS: number, names = 0): Promise<WrkResult> {
    return runWrk(this.env.group, {
      url: `http://127.0.0.1:${port}/`,
      threads: 1,
      connections,
      durationS,
      ...(names > 0 ? { script: this.#hostScript(names) } : { headers: [`Host: ${HOST}`] }),
      wrap: (cmd, args) => this.env.place.wrap("load", cmd, args),
    });
  }

  /** A wrk Lua script whose requests go round `names` Host names, pre-formatted once. */
  #hostScript(names: number): string {
    let file = this.#scripts.get(names);
    if (file !== undefined) return file;
    file = join(this.env.tmp, `hosts-${names}.lua`);
    writeFileSync(
      file,
      [
        "-- Written by bench/suite: rotates the Host header over pre-formatted requests.",
        "local reqs = {}",
        "local i = 0",
        "init = function(args)",
        `  for k = 0, ${names - 1} do`,
        `    reqs[k + 1] = wrk.format("GET", "/", { Host = "${HOST}-" .. k })`,
        "  end",
        "end",
        "request = function()",
        `  i = i % ${names} + 1`,
        "  return reqs[i]",
        "end",
        "",
      ].join("\n"),
    );
    this.#scripts.set(names, file);
    return file;
  }

  /** Runs the open-loop client (its own process, on the load CPU) and returns what it measured. */
  async openLoop(
    port: number,
    rate: number,
    durationS: number,
    o: { readonly warmupS?: number; readonly names?: number } = {},
  ): Promise<OpenLoopResult> {
    const args = [
      OPEN_LOOP_CLIENT,
      "--port",
      String(port),
      "--rate",
      String(rate),
      "--duration",
      String(durationS),
      "--warmup",
      String(o.warmupS ?? this.s.open.warmupS),
      "--connections",
      String(this.s.open.connections),
      "--host-header",
      HOST,
      ...(o.names === undefined ? [] : ["--names", String(o.names)]),
    ];
    const [cmd, argv] = this.env.place.wrap("load", process.execPath, args);
    const child = this.env.group.spawn(`open-loop ${rate} rps`, cmd, argv);
    const budgetMs = ((o.warmupS ?? this.s.open.warmupS) + durationS + 20) * 1000;
    const watchdog = setTimeout(() => child.process.kill("SIGKILL"), budgetMs);
    await child.exited();
    clearTimeout(watchdog);
    const line = child
      .output()
      .split("\n")
      .find((l) => l.startsWith('{"rate"'));
    if (child.process.exitCode !== 0 || line === undefined)
      throw new Error(
        `the open-loop client failed (${child.process.exitCode}):\n${child.output().slice(-2000)}`,
      );
    return JSON.parse(line) as OpenLoopResult;
  }
}
