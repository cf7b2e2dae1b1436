// Power of two choices (Finagle's p2c): two distinct nodes at random, the less costly one wins.

import { BaseBalancer } from "./balancer.ts";
import type { LoadMetric } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";
import type { Random } from "./random.ts";

/**
 * Picks two distinct nodes at random and takes the open one if only one is open, else the one with the lower
 * cost (ties go to the first). With the least-loaded metric this is Linkerd's default `p2c`; with peak EWMA it
 * is `ewma`.
 */
export class P2CBalancer<N extends BalancerNode> extends BaseBalancer<N> {
  readonly kind: string;
  readonly #random: Random;
  readonly #maxEffort: number;

  constructor(kind: string, metric: LoadMetric, maxEffort: number, random: Random) {
    super(metric, maxEffort);
    this.kind = kind;
    this.#random = random;
    this.#maxEffort = maxEffort;
  }

  protected choose(now: number): N {
    return p2cChoose(this.nodes, this.nodes.length, now, this.#random, this.#maxEffort, (x) =>
      this.metric.cost(x, now),
    );
  }
}

/**
 * Two distinct nodes at random among the first `n`; a closed one is drawn again (up to `maxEffort` times) so
 * that the comparison is between open nodes; then the lower cost wins. Finagle compares a closed node with an
 * open one and takes the open one whatever its load, which sends a steady share (2 / n² of picks per dead
 * node) to whichever node is drawn with it, however loaded; drawing again avoids that.
 */
export function p2cChoose<N extends BalancerNode>(
  nodes: readonly N[],
  n: number,
  now: number,
  random: Random,
  maxEffort: number,
  cost: (node: N) => number,
): N {
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j++;
  let a = nodes[i] as N;
  let b = nodes[j] as N;
  for (let k = 0; k < maxEffort && !a.isOpen(now); k++) {
    const x = nodes[Math.floor(random() * n)] as N;
    if (x !== b) a = x;
  }
  for (let k = 0; k < maxEffort && !b.isOpen(now); k++) {
    const x = nodes[Math.floor(random() * n)] as N;
    if (x !== a) b = x;
  }
  const aOpen = a.isOpen(now);
  if (aOpen !== b.isOpen(now)) return aOpen ? a : b;
  return cost(b) < cost(a) ? b : a;
}
