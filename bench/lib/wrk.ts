// Runs wrk (closed loop) and parses what it prints: requests/s, latency percentiles in ms, and errors.

import { spawnSync } from "node:child_process";
import type { ProcessGroup } from "./processes.ts";

export const WRK = "/usr/bin/wrk";

export interface WrkOptions {
  readonly url: string;
  readonly threads: number;
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: readonly string[];
  /** A Lua script for wrk (`-s`), e.g. one that rotates the Host header. */
  readonly script?: string;
  /** Rewrites the command line, e.g. to pin wrk to a CPU with taskset. */
  readonly wrap?: (command: string, args: readonly string[]) => [string, string[]];
}

export interface WrkResult {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  readonly rps: number;
  /** Latency percentiles in milliseconds, as wrk prints them (it prints 50, 75, 90 and 99). */
  readonly p50Ms: number;
  readonly p75Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  readonly errors: number;
  readonly errorText: string;
  readonly raw: string;
}

/** The first line of `wrk -v` (e.g. `wrk debian/4.1.0-3+b2 [epoll]`). wrk exits 1 after printing it. */
export function wrkVersion(): string {
  const r = spawnSync(WRK, ["-v"], { encoding: "utf8" });
  const line = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n")[0] ?? "";
  return line.replace(/\s+Copyright.*$/, "").trim() || "unknown";
}

const UNIT_US: Record<string, number> = { us: 1, ms: 1000, s: 1e6, m: 6e7, h: 3.6e9 };

/** A wrk duration such as `412.00us`, `8.23ms` or `1.02s`, in milliseconds. */
export function parseWrkTime(text: string): number {
  const m = text.match(/^([\d.]+)(us|ms|s|m|h)$/);
  if (m === null) throw new Error(`wrk: cannot read the time "${text}"`);
  const us = Number(m[1]) * (UNIT_US[m[2] as string] as number);
  // Rounded to the nanosecond so that 827us reads 0.827, not 0.8270000000000001.
  return Math.round(us * 1000) / 1e6;
}

/** A wrk count such as `10122` or `1.49k` (used in the request count line). */
function parseCount(text: string): number {
  const m = text.match(/^([\d.]+)([kMG]?)$/);
  if (m === null) return Number.NaN;
  const scale = m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : m[2] === "G" ? 1e9 : 1;
  return Number(m[1]) * scale;
}

export function parseWrkOutput(raw: string, connections: number, durationS: number): WrkResult {
  const rps = raw.match(/^Requests\/sec:\s+([\d.]+)/m);
  if (rps === null) throw new Error(`wrk: no "Requests/sec" in its output:\n${raw}`);
  const pct = (p: number): number => {
    const m = raw.match(new RegExp(`^\\s+${p}%\\s+(\\S+)\\s*$`, "m"));
    if (m === null) throw new Error(`wrk: no ${p}% latency in its output (was --latency given?):\n${raw}`);
    return parseWrkTime(m[1] as string);
  };
  const latencyLine = raw.match(/^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m);
  const requests = raw.match(/^\s*(\S+) requests in/m);
  let errors = 0;
  const errorParts: string[] = [];
  const socket = raw.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  if (socket !== null) {
    const n = socket.slice(1, 5).reduce((sum, s) => sum + Number(s), 0);
    errors += n;
    if (n > 0) errorParts.push(socket[0]);
  }
  const non2xx = raw.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx !== null) {
    errors += Number(non2xx[1]);
    errorParts.push(non2xx[0]);
  }
  return {
    connections,
    durationS,
    requests: requests ? parseCount(requests[1] as string) : Number.NaN,
    rps: Number(rps[1]),
    p50Ms: pct(50),
    p75Ms: pct(75),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: latencyLine ? parseWrkTime(latencyLine[3] as string) : Number.NaN,
    errors,
    errorText: errorParts.join("; "),
    raw,
  };
}

/** Runs wrk to completion as a child of `group` (so Ctrl-C stops it too) and parses its report. */
export async function runWrk(group: ProcessGroup, o: WrkOptions): Promise<WrkResult> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.durationS}s`, "--latency"];
  for (const h of o.headers ?? []) args.push("-H", h);
  if (o.script !== undefined) args.push("-s", o.script);
  args.push(o.url);
  const [command, argv] = o.wrap ? o.wrap(WRK, args) : [WRK, args];
  const child = group.spawn(`wrk -c${o.connections}`, command, argv);
  // wrk stops on its own after the duration; this only guards against a hang.
  const watchdog = setTimeout(() => child.process.kill("SIGKILL"), (o.durationS + 15) * 1000);
  await child.exited();
  clearTimeout(watchdog);
  const code = child.process.exitCode;
  if (code !== 0)
    throw new Error(`wrk ${args.join(" ")} failed (${code ?? child.process.signalCode}):\n${child.output()}`);
  return parseWrkOutput(child.output(), o.connections, o.durationS);
}
