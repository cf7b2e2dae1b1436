// Endpoint: one upstream address with its pool of keep-alive connections, its load and its failure accrual.

import type { BalancerNode, LatencyEwma } from "../balancer/node.ts";
import { ConnectionPool } from "../http1/upstream.ts";
import type { FailureAccrual } from "../liveness/failure-accrual.ts";
import type { Address } from "../naming/index.ts";
import { Addr } from "../naming/index.ts";

export interface EndpointOptions {
  /** Idle connections kept for reuse. */
  readonly maxIdle?: number;
  /** How long an idle pooled connection is kept before it is closed. */
  readonly idleTimeMs?: number;
  /** Idle connections kept whatever their idle time (`hostConnectionPool.minSize`). */
  readonly minIdle?: number;
  /** Connections at most (`hostConnectionPool.maxSize`). */
  readonly maxSize?: number;
  /** Requests that may wait for a connection at `maxSize` (`hostConnectionPool.maxWaiters`). */
  readonly maxWaiters?: number;
  /** A connection older than this is closed rather than reused (`clientSession.lifeTimeMs`). */
  readonly lifeTimeMs?: number;
  /** Most bytes of response head accepted from this endpoint. */
  readonly maxHeaderBytes?: number;
}

/**
 * An upstream address and its connection pool. `load` is the number of requests in flight to it (kept by the
 * client's balancer); `accrual`, when failure accrual is on, says whether it is marked dead.
 */
export class Endpoint implements BalancerNode {
  readonly ip: string;
  readonly port: number;
  readonly key: string;
  weight: number;
  load = 0;
  latency: LatencyEwma | undefined;
  readonly accrual: FailureAccrual | undefined;
  readonly pool: ConnectionPool;

  constructor(address: Address, options: EndpointOptions = {}, accrual?: FailureAccrual) {
    this.ip = address.ip;
    this.port = address.port;
    this.key = Endpoint.keyOf(address);
    this.weight = Addr.weightOf(address);
    this.accrual = accrual;
    this.pool = new ConnectionPool(address.ip, address.port, {
      maxIdle: options.maxIdle ?? 10_000,
      idleTimeMs: options.idleTimeMs ?? 60_000,
      minIdle: options.minIdle ?? 0,
      maxSize: options.maxSize ?? Number.POSITIVE_INFINITY,
      maxWaiters: options.maxWaiters ?? Number.POSITIVE_INFINITY,
      lifeTimeMs: options.lifeTimeMs,
      maxHeaderBytes: options.maxHeaderBytes ?? 64 * 1024,
    });
  }

  static keyOf(address: Pick<Address, "ip" | "port">): string {
    return address.ip.includes(":") ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
  }

  /** Whether balancers should send it requests: always, unless failure accrual has marked it dead. */
  isOpen(now: number): boolean {
    return this.accrual === undefined || this.accrual.isOpen(now);
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
