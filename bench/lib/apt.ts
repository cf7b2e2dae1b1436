// Installs a missing Debian package for a benchmark when running as root (apt-get update only if needed).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function aptGet(args: readonly string[]): boolean {
  const r = spawnSync("apt-get", args, {
    // Progress goes to stderr so that stdout carries only the report. RUNLEVEL=1 keeps the package scripts
    // from starting a system service (nginx on port 80): the benchmark starts its own, and only those.
    stdio: ["ignore", process.stderr, process.stderr],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" },
  });
  return r.status === 0;
}

/**
 * Makes sure `binary` exists, installing the first of `packages` that installs (as root only). Tries without
 * `apt-get update` first, then once more after it. Returns whether the binary exists afterwards.
 */
export function ensureDebianBinary(
  binary: string,
  packages: readonly string[],
  log: (s: string) => void,
): boolean {
  if (existsSync(binary)) return true;
  if (!isRoot()) return false;
  for (const updateFirst of [false, true]) {
    if (updateFirst) {
      log("apt-get update\n");
      if (!aptGet(["update"])) continue;
    }
    for (const pkg of packages) {
      log(`apt-get install -y ${pkg}\n`);
      if (aptGet(["install", "-y", pkg]) && existsSync(binary)) return true;
    }
  }
  return existsSync(binary);
}
