// Round robin (Finagle's roundRobin): each node in turn, skipping closed ones within maxEffort.

import { BaseBalancer } from "./balancer.ts";
import { leastLoaded } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";

export class RoundRobinBalancer<N extends BalancerNode> extends BaseBalancer<N> {
  readonly kind = "roundRobin";
  #next = 0;

  constructor(maxEffort: number) {
    super(leastLoaded, maxEffort);
  }

  protected choose(): N {
    const nodes = this.nodes;
    if (this.#next >= nodes.length) this.#next = 0;
    return nodes[this.#next++] as N;
  }
}
