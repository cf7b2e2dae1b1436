// Starts the child processes of a benchmark, waits for their "listening" lines, reads their RSS, and stops them.

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A child process started by a benchmark, with the output it has printed so far (for error messages). */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** stdout and stderr as printed so far (kept to the last 64 KiB). */
  output(): string;
  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void>;
}

const OUTPUT_KEPT = 64 * 1024;

/**
 * Every process a benchmark starts, so that all of them are stopped at the end, on Ctrl-C and on errors.
 * `stopAll` sends SIGTERM, then SIGKILL to whatever is still running after the grace period; `killAllNow` is
 * the synchronous last resort for `process.on("exit")`.
 */
export class ProcessGroup {
  readonly #children = new Set<Child>();
  #closed = false;

  /** Stops every child and refuses new ones (for the end of a run, Ctrl-C and errors). */
  close(graceMs = 3000): Promise<void> {
    this.#closed = true;
    return this.stopAll(graceMs);
  }

  /** Starts a child; `stdin: "pipe"` leaves its standard input open for writing (`child.process.stdin`). */
  spawn(
    name: string,
    command: string,
    args: readonly string[],
    env?: NodeJS.ProcessEnv,
    options: { readonly stdin?: "pipe" | "ignore" } = {},
  ): Child {
    if (this.#closed) throw new Error(`not starting ${name}: the benchmark is stopping`);
    const proc = spawn(command, args, {
      stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
      env: env ?? process.env,
    });
    if (proc.pid === undefined) {
      // spawn reports ENOENT and the like asynchronously; the pid is missing at once in that case.
      throw new Error(`cannot start ${name} (${command})`);
    }
    let text = "";
    const append = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.length > OUTPUT_KEPT) text = text.slice(-OUTPUT_KEPT);
    };
    proc.stdout?.on("data", append);
    proc.stderr?.on("data", append);
    proc.on("error", () => {});
    let done = false;
    const exit = new Promise<void>((resolve) => {
      proc.once("exit", () => {
        done = true;
        resolve();
      });
    });
    const child: Child = {
      name,
      process: proc,
      pid: proc.pid,
      output: () => text,
      exited: () => (done ? Promise.resolve() : exit),
    };
    this.#children.add(child);
    exit.then(() => this.#children.delete(child));
    return child;
  }

  /**
   * Stops one child: SIGTERM, then SIGKILL after `graceMs` to it and to its own children (nginx workers outlive
   * a killed master).
   */
  async stop(child: Child, graceMs = 3000): Promise<void> {
    if (!this.#children.has(child)) return;
    child.process.kill("SIGTERM");
    const timer = setTimeout(() => killHard(child), graceMs);
    await child.exited();
    clearTimeout(timer);
  }

  /** The pids of the children still running. */
  pids(): number[] {
    return [...this.#children].map((c) => c.pid);
  }

  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c, graceMs)));
  }

  /** Synchronous: SIGKILL to every child still running (for process "exit" handlers). */
  killAllNow(): void {
    for (const c of this.#children) killHard(c);
    this.#children.clear();
  }
}

function killHard(child: Child): void {
  for (const pid of childPids(child.pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  child.process.kill("SIGKILL");
}

/**
 * Waits until the child prints a line matching `pattern` (on stdout or stderr) and returns the match; rejects
 * if the process exits first or after `timeoutMs`, with what it printed.
 */
export function waitForOutput(child: Child, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = child.output().match(pattern);
      if (m === null) return false;
      finish();
      resolve(m);
      return true;
    };
    const onExit = (code: number | null, signal: string | null) => {
      if (check()) return;
      finish();
      reject(
        new Error(
          `${child.name} exited (${signal ?? `code ${code}`}) before printing ${pattern}:\n${child.output()}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${child.name} did not print ${pattern} within ${timeoutMs} ms:\n${child.output()}`));
    }, timeoutMs);
    const onData = () => check();
    const finish = () => {
      clearTimeout(timer);
      child.process.stdout?.off("data", onData);
      child.process.stderr?.off("data", onData);
      child.process.off("exit", onExit);
    };
    child.process.stdout?.on("data", onData);
    child.process.stderr?.on("data", onData);
    child.process.on("exit", onExit);
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      onExit(child.process.exitCode, child.process.signalCode);
      return;
    }
    check();
  });
}

/** Resident memory of a process from /proc/<pid>/status: now (VmRSS) and its peak so far (VmHWM), in KiB. */
export interface Rss {
  readonly rssKiB: number;
  readonly peakKiB: number;
}

export function readRss(pid: number): Rss | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string): number => {
    const m = status.match(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m"));
    return m ? Number(m[1]) : 0;
  };
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}

/** The pids of a process's direct children (from /proc/<pid>/task/<tid>/children), e.g. nginx's workers. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** The sum of the RSS of a process and its direct children (an nginx master and its workers). */
export function readTreeRss(pid: number): Rss | undefined {
  const own = readRss(pid);
  if (own === undefined) return undefined;
  let rssKiB = own.rssKiB;
  let peakKiB = own.peakKiB;
  for (const c of childPids(pid)) {
    const r = readRss(c);
    if (r === undefined) continue;
    rssKiB += r.rssKiB;
    peakKiB += r.peakKiB;
  }
  return { rssKiB, peakKiB };
}
