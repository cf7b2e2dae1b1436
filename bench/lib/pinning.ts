// CPU pinning and file-descriptor limits for benchmark processes: wraps a command in taskset and, if needed, ulimit.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";

const TASKSET = "/usr/bin/taskset";

/** Which CPU a process runs on: the system under test, or the load side (load generator and origin). */
export type Role = "sut" | "load";

export interface Placement {
  /** Whether processes are pinned (taskset exists and there are at least 2 CPUs). */
  readonly pinned: boolean;
  /** One line for the report's header. */
  readonly description: string;
  /** The command line that runs `command args` in `role`'s place (with at least `nofile` descriptors). */
  wrap(role: Role, command: string, args: readonly string[], nofile?: number): [string, string[]];
  /** The CPU list of a role ("0", "1"), or undefined when not pinned. */
  cpus(role: Role): string | undefined;
}

/** The soft limit on open files this process (and so its children) has, from the shell's `ulimit -Sn`. */
export function openFilesLimit(): number {
  const r = spawnSync("bash", ["-c", "ulimit -Sn"], { encoding: "utf8" });
  const text = (r.stdout ?? "").trim();
  return text === "unlimited" ? Number.POSITIVE_INFINITY : Number(text) || 1024;
}

/**
 * Pins the system under test on CPU 0 and the load (wrk, the open-loop client, the origin) on CPU 1 when
 * taskset exists and the machine has 2 or more CPUs, unless `disabled`.
 */
export function placement(disabled: boolean): Placement {
  const nproc = availableParallelism();
  const pinned = !disabled && existsSync(TASKSET) && nproc >= 2;
  const limit = openFilesLimit();
  const cpu = (role: Role) => (role === "sut" ? "0" : "1");
  return {
    pinned,
    description: pinned
      ? `pinned with taskset: system under test on CPU 0, load generator and origin on CPU 1 (of ${nproc})`
      : disabled
        ? `not pinned (--no-pin): everything shares the ${nproc} CPUs`
        : `not pinned (${existsSync(TASKSET) ? `${nproc} CPU` : "no taskset"}): everything shares the ${nproc} CPUs`,
    cpus: (role) => (pinned ? cpu(role) : undefined),
    wrap(role, command, args, nofile = 0) {
      let cmd = command;
      let argv = [...args];
      if (nofile > limit) {
        // Raise the soft limit for this child only (exec keeps the pid: the process measured is the command).
        argv = ["-c", `ulimit -n ${nofile} && exec "$@"`, "bash", cmd, ...argv];
        cmd = "bash";
      }
      if (pinned) {
        argv = ["-c", cpu(role), cmd, ...argv];
        cmd = TASKSET;
      }
      return [cmd, argv];
    },
  };
}
