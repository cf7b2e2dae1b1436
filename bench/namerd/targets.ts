// The two backends the namerd benchmark's dtab switches between: each answers with its name and notes, per proxy, when requests arrive.

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The header the benchmark's clients set to the index of the proxy they send through. */
export const PROXY_HEADER = "x-bench-proxy";

/** An HTTP server on 127.0.0.1 answering 200 with its name, calling `onArrival` for each request as it arrives. */
export class Target {
  readonly name: string;
  readonly #server: Server;
  port = 0;
  /** Called with the proxy index (from `x-bench-proxy`) and the arrival time (performance.now()). */
  onArrival: ((proxy: number, at: number) => void) | undefined;

  private constructor(name: string) {
    this.name = name;
    this.#server = createServer((req, res) => {
      const at = performance.now();
      this.onArrival?.(Number(req.headers[PROXY_HEADER]), at);
      res.end(name);
    });
    this.#server.keepAliveTimeout = 120_000;
  }

  static async start(name: string): Promise<Target> {
    const t = new Target(name);
    t.#server.listen(0, "127.0.0.1");
    await once(t.#server, "listening");
    t.port = (t.#server.address() as AddressInfo).port;
    return t;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
