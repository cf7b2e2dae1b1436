// Backends for the discovery benchmark: many loopback ports served by one HTTP server, each port's requests timed as they arrive.

import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer, type Server } from "node:net";

/** One backend port and when requests last arrived there (performance.now()). */
export interface Backend {
  readonly port: number;
  /** Requests received. */
  received: number;
  /** Arrival of the latest request. */
  lastArrival: number;
  /** Calls each arrival's time to whoever waits for one (see `firstArrivalAfter`). */
  onArrival: ((at: number) => void) | undefined;
}

/**
 * Backends on many ports: a plain TCP listener per port hands its connections to one HTTP server, which
 * answers 200 with the port number and notes the arrival time on that port. 10,000 ports cost about one
 * file descriptor each.
 */
export class Backends {
  readonly #http: HttpServer;
  readonly #listeners: Server[] = [];
  readonly byPort = new Map<number, Backend>();

  constructor() {
    this.#http = createHttpServer((req, res) => {
      const at = performance.now();
      const b = this.byPort.get(req.socket.localPort as number);
      if (b !== undefined) {
        b.received++;
        b.lastArrival = at;
        b.onArrival?.(at);
      }
      res.end(String(req.socket.localPort));
    });
    this.#http.keepAliveTimeout = 60_000;
  }

  /** Opens `n` more ports on 127.0.0.1, `concurrency` at a time. */
  async open(n: number, concurrency = 200): Promise<Backend[]> {
    const opened: Backend[] = [];
    for (let i = 0; i < n; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, n - i) }, async () => {
        const listener = createServer((socket) => this.#http.emit("connection", socket));
        listener.listen(0, "127.0.0.1");
        await once(listener, "listening");
        this.#listeners.push(listener);
        const backend: Backend = {
          port: (listener.address() as AddressInfo).port,
          received: 0,
          lastArrival: 0,
          onArrival: undefined,
        };
        this.byPort.set(backend.port, backend);
        return backend;
      });
      opened.push(...(await Promise.all(batch)));
    }
    return opened;
  }

  async close(): Promise<void> {
    this.#http.closeAllConnections();
    await Promise.all(this.#listeners.map((l) => new Promise((resolve) => l.close(resolve))));
  }
}

/** Resolves with the time of the first request to reach `b` after now, or undefined after `timeoutMs`. */
export function firstArrival(b: Backend, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      b.onArrival = undefined;
      resolve(undefined);
    }, timeoutMs);
    b.onArrival = (at) => {
      clearTimeout(timer);
      b.onArrival = undefined;
      resolve(at);
    };
  });
}

/**
 * Resolves with the time of the last request to reach `b` once none has come for `quietMs` (or `since` if
 * none came after it); undefined when requests keep coming for `timeoutMs`.
 */
export async function lastArrival(
  b: Backend,
  since: number,
  quietMs: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = since + timeoutMs;
  for (;;) {
    const now = performance.now();
    const last = Math.max(b.lastArrival, since);
    if (now - last >= quietMs) return last;
    if (now > deadline) return undefined;
    await new Promise((r) => setTimeout(r, Math.max(1, quietMs - (now - last))));
  }
}
