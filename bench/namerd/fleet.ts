// A fleet of `trellis proxy` processes watching namerd, started in parallel batches, and the client that asks each one.

import { writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { type Child, type ProcessGroup, waitForOutput } from "../lib/processes.ts";
import { PROXY_HEADER } from "./targets.ts";

/** One proxy of the fleet: its index, process, router port, admin port, and a keep-alive client of its own. */
export interface FleetProxy {
  readonly index: number;
  readonly child: Child;
  readonly port: number;
  readonly admin: number;
  readonly agent: Agent;
}

/** How a proxy asks namerd: over thrift (io.l5d.namerd) or the HTTP API's watch streams (io.l5d.namerd.http). */
export type InterpreterKind = "io.l5d.namerd" | "io.l5d.namerd.http";

/** The smallest proxy that asks namerd: one router, no namers, admin on a free port, loopback only. */
export function proxyConfig(kind: InterpreterKind, namerdPort: number): string {
  const interpreter =
    kind === "io.l5d.namerd"
      ? `{kind: io.l5d.namerd, dst: /$/inet/127.1/${namerdPort}, namespace: default}`
      : `{kind: io.l5d.namerd.http, experimental: true, dst: /$/inet/127.1/${namerdPort}, namespace: default}`;
  return `admin: {port: 0, ip: 127.0.0.1}
routers:
- protocol: http
  label: out
  interpreter: ${interpreter}
  servers: [{port: 0, ip: 127.0.0.1}]
`;
}

/** Starts proxies `from` to `from + count - 1`, `batch` at a time, each once it has printed its listening lines. */
export async function startFleet(
  group: ProcessGroup,
  bin: string,
  dir: string,
  from: number,
  count: number,
  config: string,
  batch: number,
): Promise<FleetProxy[]> {
  const file = join(dir, `proxy-${from}.yaml`);
  writeFileSync(file, config);
  const started: FleetProxy[] = [];
  for (let i = from; i < from + count; i += batch) {
    const indices = Array.from({ length: Math.min(batch, from + count - i) }, (_, k) => i + k);
    started.push(
      ...(await Promise.all(
        indices.map(async (index) => {
          const child = group.spawn(`proxy-${index}`, process.execPath, [bin, "proxy", file]);
          await waitForOutput(child, /trellis: admin listening on/, 120_000);
          const port = Number(/router out listening on [\d.]+:(\d+)/.exec(child.output())?.[1]);
          const admin = Number(/admin listening on [\d.]+:(\d+)/.exec(child.output())?.[1]);
          return { index, child, port, admin, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
        }),
      )),
    );
  }
  return started;
}

/** One `GET /` with `Host: bench` through the proxy; its body, or "" for an error. */
export function ask(p: FleetProxy): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: p.port,
        path: "/",
        headers: { Host: "bench", [PROXY_HEADER]: String(p.index) },
        agent: p.agent,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve(res.statusCode === 200 ? body : ""));
        res.on("error", () => resolve(""));
      },
    );
    req.on("error", () => resolve(""));
    req.end();
  });
}

/** Asks back to back until the answer is `name`; false if it is not within `timeoutMs`. */
export async function untilAnswer(p: FleetProxy, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await ask(p);
    if (answer === name) return true;
    if (performance.now() > deadline) return false;
    // An error (namerd's binding not there yet, a refused connection) is not worth spinning on.
    if (answer === "") await new Promise((r) => setTimeout(r, 1));
  }
}
