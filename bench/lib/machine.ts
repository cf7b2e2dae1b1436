// Describes the machine a benchmark ran on: CPU model, core count, kernel, Node version and the date.

import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release, totalmem } from "node:os";

export interface Machine {
  readonly cpuModel: string;
  readonly nproc: number;
  readonly kernel: string;
  readonly memoryMiB: number;
  readonly node: string;
  readonly date: string;
}

function cpuModel(): string {
  try {
    const m = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    if (m) return (m[1] as string).trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? "unknown";
}

export function machine(): Machine {
  return {
    cpuModel: cpuModel(),
    nproc: availableParallelism(),
    kernel: release(),
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    date: new Date().toISOString(),
  };
}
