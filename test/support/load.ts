// A load loop for fault tests: several clients send requests back to back over keep-alive until stopped, and every answer is tallied.

import { Agent, request } from "node:http";

/** What a load loop saw: answers by status and by body, and requests that got no answer at all. */
export interface LoadResult {
  readonly requests: number;
  readonly byStatus: Map<number, number>;
  readonly byBody: Map<string, number>;
  /** Requests that failed without a response (connection refused or reset), with the first few reasons. */
  readonly noAnswer: number;
  readonly errors: string[];
  /** The non-200 answers (first few), as `status body`. */
  readonly bad: string[];
}

export interface LoadLoop {
  /** Requests answered so far. */
  readonly count: number;
  /** Stops sending, waits for the requests in flight, and returns the tally. */
  stop(): Promise<LoadResult>;
}

/** Starts `concurrency` clients sending `GET /` with `headers` to 127.0.0.1:`port`, each waiting for its answer. */
export function startLoad(port: number, headers: Record<string, string>, concurrency = 8): LoadLoop {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const byStatus = new Map<number, number>();
  const byBody = new Map<string, number>();
  const errors: string[] = [];
  const bad: string[] = [];
  let requests = 0;
  let noAnswer = 0;
  let stopped = false;

  const once = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/", headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          const status = res.statusCode ?? 0;
          requests++;
          byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
          byBody.set(body, (byBody.get(body) ?? 0) + 1);
          if (status !== 200 && bad.length < 5) bad.push(`${status} ${body}`);
          resolve();
        });
        res.on("error", () => resolve());
      });
      req.on("error", (e) => {
        requests++;
        noAnswer++;
        if (errors.length < 5) errors.push(e.message);
        resolve();
      });
      req.end();
    });

  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped) await once();
  });

  return {
    get count() {
      return requests;
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      agent.destroy();
      return { requests, byStatus, byBody, noAnswer, errors, bad };
    },
  };
}

/** `200: 1234, 502: 3` for a failure message. */
export function showTally(r: LoadResult): string {
  const statuses = [...r.byStatus].map(([s, n]) => `${s}: ${n}`).join(", ");
  return `${r.requests} requests (${statuses}; ${r.noAnswer} without answer ${r.errors.join("; ")}) ${r.bad.join(" | ")}`;
}
