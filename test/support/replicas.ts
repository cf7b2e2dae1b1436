// Resilience-test helpers: replica backends in their own processes (to SIGKILL), and a load loop that records each request.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./replica-process.ts", import.meta.url));
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** A replica process: its port, and what it said about requests arriving (`+`) and answered (`-`). */
export class Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  arrived = 0;
  answered = 0;
  /** How many control requests' `=` marks have been read, and who waits for the next ones. */
  #marks = 0;
  readonly #markWaiters: { mark: number; resolve: () => void }[] = [];

  private constructor(name: string, child: ChildProcess, port: number, rest: string) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.#count(rest);
    child.stdout?.on("data", (d: Buffer) => this.#count(d.toString("latin1")));
  }

  #count(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 43) this.arrived++;
      else if (c === 45) this.answered++;
      else if (c === 61) this.#marks++;
    }
    for (let i = this.#markWaiters.length - 1; i >= 0; i--) {
      const w = this.#markWaiters[i]!;
      if (this.#marks >= w.mark) {
        this.#markWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Starts a replica (on `port`, or one the OS picks) and waits until it listens. */
  static async start(name: string, port = 0): Promise<Replica> {
    const child = spawn(process.execPath, [SCRIPT, name, String(port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    let buffered = "";
    for (;;) {
      const [d] = (await once(child.stdout!, "data")) as [Buffer];
      buffered += d.toString("latin1");
      const m = /listening (\d+)\n/.exec(buffered);
      if (m) {
        child.stdout?.pause();
        const replica = new Replica(name, child, Number(m[1]), buffered.slice(m.index + m[0].length));
        child.stdout?.resume();
        return replica;
      }
    }
  }

  /**
   * Changes how it answers: delay in ms, status, and whether it adds `l5d-retryable: true`. Resolves once the
   * change is made and every arrival the replica wrote before it has been counted here.
   */
  async set(o: { delay?: number; status?: number; retryable?: boolean }): Promise<void> {
    const marked = new Promise<void>((resolve) => this.#markWaiters.push({ mark: this.#marks + 1, resolve }));
    const q = new URLSearchParams();
    if (o.delay !== undefined) q.set("delay", String(o.delay));
    if (o.status !== undefined) q.set("status", String(o.status));
    if (o.retryable !== undefined) q.set("retryable", o.retryable ? "1" : "0");
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: this.port, method: "POST", path: `/__control?${q}`, agent: false },
        (res) => {
          res.resume();
          res.on("end", () => resolve());
        },
      );
      req.on("error", reject);
      req.end();
    });
    await marked;
  }

  /** Resolves once every request that reached the replica so far is counted in `arrived`. */
  counted(): Promise<void> {
    return this.set({});
  }

  /** SIGKILLs it; resolves once it is gone, with the requests it had received and not answered. */
  async kill(): Promise<number> {
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
    // The last bytes it wrote may still be in the pipe.
    if (!this.child.stdout?.readableEnded) await once(this.child.stdout!, "end").catch(() => {});
    return this.arrived - this.answered;
  }

  stop(): void {
    this.child.kill("SIGKILL");
  }
}

/** One request of a load loop: when it started and ended (ms, performance.now), its status (0: no answer), body. */
export interface Sample {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly body: string;
  /** The `l5d-err` header, when the proxy answered itself. */
  readonly err: string | undefined;
}

export interface LoadOptions {
  readonly port: number;
  readonly host: string;
  readonly concurrency: number;
  readonly method?: string;
  readonly body?: string;
}

/** Clients sending requests back to back (closed loop) over keep-alive, every request recorded, until stopped. */
export class Load {
  readonly samples: Sample[] = [];
  readonly #stopped: Promise<void>;
  #stop = false;

  constructor(o: LoadOptions) {
    const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
    const one = () =>
      new Promise<void>((resolve) => {
        const start = performance.now();
        const headers: Record<string, string> = { Host: o.host };
        if (o.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(o.body));
        const req = request(
          { host: "127.0.0.1", port: o.port, method: o.method ?? "GET", path: "/", headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const err = res.headers["l5d-err"];
              this.samples.push({
                start,
                end: performance.now(),
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).toString(),
                err: Array.isArray(err) ? err[0] : err,
              });
              resolve();
            });
            res.on("error", () => resolve());
          },
        );
        req.on("error", () => {
          this.samples.push({ start, end: performance.now(), status: 0, body: "", err: undefined });
          resolve();
        });
        req.end(o.body);
      });
    const workers = Array.from({ length: o.concurrency }, async () => {
      while (!this.#stop) await one();
    });
    this.#stopped = Promise.all(workers).then(() => agent.destroy());
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<Sample[]> {
    this.#stop = true;
    await this.#stopped;
    return this.samples;
  }
}

/** The samples that started within [from, to). */
export function during(samples: readonly Sample[], from: number, to = Number.POSITIVE_INFINITY): Sample[] {
  return samples.filter((s) => s.start >= from && s.start < to);
}

/** The `p`-th percentile (0-100) of the samples' latencies, in ms. */
export function percentile(samples: readonly Sample[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
