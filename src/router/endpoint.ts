// Endpoint: one upstream address with its pool of keep-alive connections and the load it carries right now.

import { ConnectionPool } from "../http1/upstream.ts";
import type { Address } from "../naming/index.ts";
import { Addr } from "../naming/index.ts";

export interface EndpointOptions {
  /** Idle connections kept for reuse. */
  readonly maxIdle?: number;
  /** How long an idle pooled connection is kept before it is closed. */
  readonly idleTimeMs?: number;
  /** Most bytes of response head accepted from this endpoint. */
  readonly maxHeaderBytes?: number;
}

/** An upstream address and its connection pool. `load` is the number of requests in flight to it. */
export class Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly key: string;
  weight: number;
  load = 0;
  readonly pool: ConnectionPool;

  constructor(address: Address, options: EndpointOptions = {}) {
    this.ip = address.ip;
    this.port = address.port;
    this.key = Endpoint.keyOf(address);
    this.weight = Addr.weightOf(address);
    this.pool = new ConnectionPool(address.ip, address.port, {
      maxIdle: options.maxIdle ?? 10_000,
      idleTimeMs: options.idleTimeMs ?? 60_000,
      maxHeaderBytes: options.maxHeaderBytes ?? 64 * 1024,
    });
  }

  static keyOf(address: Pick<Address, "ip" | "port">): string {
    return address.ip.includes(":") ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
  }

  /** Open connections, in use or idle. */
  get connections(): number {
    return this.pool.size;
  }

  /**
   * Closes idle connections now and each busy one as soon as its request is done, so requests in flight to an
   * endpoint that left the replica set still complete.
   */
  close(): void {
    this.pool.close();
  }
}
