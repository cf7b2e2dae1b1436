// Loopback helpers for benchmarks: a free port, waiting for a port to accept, and one checked GET.

import { request } from "node:http";
import { createConnection } from "node:net";

// Free ports (held together while chosen, so no two are the same), for programs like nginx that cannot listen on
// port 0: the tests' helper.
export { freePort, freePorts } from "../../test/support/ports.ts";

function connectOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Resolves once 127.0.0.1:port accepts a connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await connectOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing accepts connections on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export interface GetResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One GET to 127.0.0.1:port with the given Host header, on a fresh connection. */
export function get(port: number, host: string, path = "/", timeoutMs = 5000): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { Host: host }, agent: false, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
