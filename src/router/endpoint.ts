// Endpoint: one upstream address with its keep-alive connection pool and the load it carries right now.

import { Agent } from "node:http";
import type { Address } from "../naming/index.ts";
import { Addr } from "../naming/index.ts";

export interface EndpointOptions {
  /** Most connections kept open to this endpoint (Linkerd's hostConnectionPool.maxSize). */
  readonly maxConnections?: number;
  /** Idle connections kept for reuse. */
  readonly maxIdle?: number;
  /** How long an idle pooled connection is kept before it is closed. */
  readonly idleTimeMs?: number;
}

/** An upstream address and its connection pool. `load` is the number of requests in flight to it. */
export class Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly key: string;
  weight: number;
  load = 0;
  readonly agent: Agent;

  constructor(address: Address, options: EndpointOptions = {}) {
    this.ip = address.ip;
    this.port = address.port;
    this.key = Endpoint.keyOf(address);
    this.weight = Addr.weightOf(address);
    this.agent = new Agent({
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: options.maxConnections ?? Number.POSITIVE_INFINITY,
      maxFreeSockets: options.maxIdle ?? 256,
      timeout: options.idleTimeMs ?? 60_000,
      scheduling: "lifo",
    });
  }

  static keyOf(address: Pick<Address, "ip" | "port">): string {
    return address.ip.includes(":") ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
  }

  /** Open connections, in use or idle. */
  get connections(): number {
    let n = 0;
    for (const list of Object.values(this.agent.sockets)) n += list?.length ?? 0;
    for (const list of Object.values(this.agent.freeSockets)) n += list?.length ?? 0;
    return n;
  }

  /**
   * Closes idle connections now and each busy one as soon as its request is done, so requests in flight to an
   * endpoint that left the replica set still complete.
   */
  close(): void {
    this.agent.on("free", (socket) => socket.destroy());
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
  }
}
