// Measures the CPU time other programs used while a benchmark ran: the machine's busy time minus the benchmark's own.

import { readFileSync } from "node:fs";
import { childPids } from "./processes.ts";

/** Clock ticks per second of /proc's counters (USER_HZ, 100 on Linux). */
const HZ = 100;

export interface CpuSnapshot {
  readonly at: number;
  /** user + nice + system + irq + softirq ticks of all CPUs. */
  readonly machine: number;
  /** user + system ticks of this process, its reaped children and the live processes given, with their children. */
  readonly own: number;
}

export interface ForeignLoad {
  readonly seconds: number;
  /** CPU seconds used by the machine (user + system) and by the benchmark's processes. */
  readonly machineCpuS: number;
  readonly ownCpuS: number;
  /** What others used, as a share of one CPU over the period. */
  readonly foreignShareOfOneCpu: number;
}

function processTicks(pid: number | "self"): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start at state; utime..cstime are fields 14-17.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest.slice(11, 15).reduce((sum, s) => sum + Number(s), 0);
  } catch {
    return 0;
  }
}

function machineTicks(): number {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/) ?? [];
    // user, nice, system, then (after idle and iowait) irq and softirq: with tick-based accounting a tick spent
    // in an interrupt is charged to the interrupted process too, so the processes' time includes them.
    return Number(cpu[1]) + Number(cpu[2]) + Number(cpu[3]) + Number(cpu[6]) + Number(cpu[7]);
  } catch {
    return 0;
  }
}

/** A snapshot; `live` are the benchmark's running child processes (their own children are added). */
export function cpuSnapshot(live: readonly number[]): CpuSnapshot {
  let own = processTicks("self");
  for (const pid of live) {
    own += processTicks(pid);
    for (const c of childPids(pid)) own += processTicks(c);
  }
  return { at: performance.now(), machine: machineTicks(), own };
}

export function foreignLoad(from: CpuSnapshot, to: CpuSnapshot): ForeignLoad {
  const seconds = (to.at - from.at) / 1000;
  const machineCpuS = (to.machine - from.machine) / HZ;
  const ownCpuS = (to.own - from.own) / HZ;
  const foreign = Math.max(0, machineCpuS - ownCpuS);
  return {
    seconds: Math.round(seconds * 10) / 10,
    machineCpuS: Math.round(machineCpuS * 10) / 10,
    ownCpuS: Math.round(ownCpuS * 10) / 10,
    foreignShareOfOneCpu: seconds > 0 ? Math.round((foreign / seconds) * 1000) / 1000 : 0,
  };
}
