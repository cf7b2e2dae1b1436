// Least loaded, exactly (Finagle's heap balancer): the open node with the fewest requests in flight.

import { BaseBalancer } from "./balancer.ts";
import { leastLoaded } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";

/**
 * Always the open node with the least load; ties are broken by going round, so equal nodes share evenly.
 * Finagle keeps its nodes in a heap; here a scan does the same job (one pass over the nodes per request), which
 * is as fast for the sizes a client has and needs no bookkeeping as loads change.
 */
export class HeapBalancer<N extends BalancerNode> extends BaseBalancer<N> {
  readonly kind = "heap";
  #start = 0;

  constructor() {
    // Finagle's heap balancer has no maxEffort: it looks at every node anyway.
    super(leastLoaded, 0);
  }

  protected choose(now: number): N {
    const nodes = this.nodes;
    const n = nodes.length;
    const start = this.#start++ % n;
    let best: N | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    let fallback: N | undefined;
    let fallbackLoad = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const node = nodes[(start + k) % n] as N;
      if (node.isOpen(now)) {
        if (node.load < bestLoad) {
          best = node;
          bestLoad = node.load;
        }
      } else if (node.load < fallbackLoad) {
        fallback = node;
        fallbackLoad = node.load;
      }
    }
    return (best ?? fallback) as N;
  }
}
