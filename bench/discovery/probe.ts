// Steady traffic through the proxy for the discovery benchmark: a few keep-alive clients sending back to back, answers counted.

import { Agent, request } from "node:http";

export interface ProbeCounts {
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  /** Requests that got no response (connection refused or reset). */
  readonly noAnswer: number;
}

/** Traffic to a router: `concurrency` clients each sending `GET /` with `Host: host` as soon as the last answered. */
export class Probe {
  readonly #agent: Agent;
  readonly #workers: Promise<void>[];
  #stopped = false;
  #requests = 0;
  #noAnswer = 0;
  readonly #byStatus: Record<string, number> = {};
  readonly #startedAt = performance.now();
  #stoppedAt: number | undefined;

  constructor(port: number, host: string, concurrency = 4) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const once = () =>
      new Promise<void>((resolve) => {
        const req = request(
          { host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent: this.#agent },
          (res) => {
            res.resume();
            res.on("end", () => {
              this.#requests++;
              const s = String(res.statusCode);
              this.#byStatus[s] = (this.#byStatus[s] ?? 0) + 1;
              resolve();
            });
            res.on("error", () => resolve());
          },
        );
        req.on("error", () => {
          this.#requests++;
          this.#noAnswer++;
          // Do not spin on a refused connection.
          setTimeout(resolve, 5);
        });
        req.end();
      });
    this.#workers = Array.from({ length: concurrency }, async () => {
      while (!this.#stopped) await once();
    });
  }

  /** Requests per second so far, or until stopped. */
  get rate(): number {
    return this.#requests / (((this.#stoppedAt ?? performance.now()) - this.#startedAt) / 1000);
  }

  /** Stops the clients (once; later calls give the same counts). */
  async stop(): Promise<ProbeCounts> {
    this.#stopped = true;
    await Promise.all(this.#workers);
    this.#stoppedAt ??= performance.now();
    this.#agent.destroy();
    return { requests: this.#requests, byStatus: { ...this.#byStatus }, noAnswer: this.#noAnswer };
  }
}
