// Weights (Finagle's TrafficDistributor): nodes grouped by weight, a group drawn by weight × size, then balanced.

import type { Balancer } from "./balancer.ts";
import type { BalancerNode } from "./node.ts";
import type { Random } from "./random.ts";

interface WeightClass<N extends BalancerNode> {
  readonly weight: number;
  readonly balancer: Balancer<N>;
  size: number;
}

/**
 * Balances nodes of different weights: the nodes of each weight form a class with its own balancer; a request
 * draws a class with probability proportional to weight × number of nodes (so each node's share follows its
 * weight), and that class's balancer picks the node. Weight-0 nodes get traffic only when every weight is 0.
 * With one weight (the usual case) it is the plain balancer.
 */
export class WeightedBalancer<N extends BalancerNode> implements Balancer<N> {
  readonly kind: string;
  readonly #make: () => Balancer<N>;
  readonly #random: Random;
  readonly #maxEffort: number;
  #classes: WeightClass<N>[] = [];
  readonly #classOf = new Map<N, WeightClass<N>>();
  #total = 0;
  #exhausted = 0;

  constructor(make: () => Balancer<N>, random: Random, maxEffort: number) {
    this.#make = make;
    this.#random = random;
    this.#maxEffort = maxEffort;
    const first = make();
    this.kind = first.kind;
    this.#classes = [{ weight: 1, balancer: first, size: 0 }];
  }

  get exhausted(): number {
    let n = this.#exhausted;
    for (const c of this.#classes) n += c.balancer.exhausted;
    return n;
  }

  get aperture(): number | undefined {
    let sum: number | undefined;
    for (const c of this.#classes)
      if (c.balancer.aperture !== undefined) sum = (sum ?? 0) + c.balancer.aperture;
    return sum;
  }

  update(nodes: readonly N[]): void {
    const byWeight = new Map<number, N[]>();
    for (const node of nodes) {
      const w = node.weight > 0 && Number.isFinite(node.weight) ? node.weight : 0;
      const list = byWeight.get(w);
      if (list === undefined) byWeight.set(w, [node]);
      else list.push(node);
    }
    const old = new Map<number, WeightClass<N>>();
    for (const c of this.#classes) old.set(c.weight, c);
    const classes: WeightClass<N>[] = [];
    // Keep each weight's balancer (and its state) across updates.
    for (const [weight, list] of byWeight) {
      const c = old.get(weight) ?? { weight, balancer: this.#make(), size: 0 };
      c.size = list.length;
      c.balancer.update(list);
      classes.push(c);
    }
    if (classes.length === 0) {
      const c = this.#classes[0] as WeightClass<N>;
      c.size = 0;
      c.balancer.update([]);
      classes.push(c);
    }
    // Zero-weight classes last: they are used only when nothing else has weight.
    classes.sort((a, b) => b.weight - a.weight);
    this.#classes = classes;
    this.#total = 0;
    for (const c of classes) this.#total += c.weight * c.size;
    this.#classOf.clear();
    if (classes.length > 1)
      for (const c of classes) for (const node of byWeight.get(c.weight) ?? []) this.#classOf.set(node, c);
  }

  #draw(): WeightClass<N> {
    const classes = this.#classes;
    if (this.#total <= 0) return classes[Math.floor(this.#random() * classes.length)] as WeightClass<N>;
    let r = this.#random() * this.#total;
    for (const c of classes) {
      r -= c.weight * c.size;
      if (r < 0) return c;
    }
    return classes[0] as WeightClass<N>;
  }

  pick(now: number): N | undefined {
    const classes = this.#classes;
    if (classes.length === 1) return (classes[0] as WeightClass<N>).balancer.pick(now);
    let node = this.#draw().balancer.pick(now);
    for (let i = 0; i < this.#maxEffort && node !== undefined && !node.isOpen(now); i++) {
      node = this.#draw().balancer.pick(now);
    }
    if (node !== undefined && !node.isOpen(now)) this.#exhausted++;
    return node;
  }

  #balancerOf(node: N): Balancer<N> {
    const classes = this.#classes;
    if (classes.length === 1) return (classes[0] as WeightClass<N>).balancer;
    return (this.#classOf.get(node) ?? (classes[0] as WeightClass<N>)).balancer;
  }

  started(node: N, now: number): void {
    this.#balancerOf(node).started(node, now);
  }

  finished(node: N, now: number, latencyMs: number): void {
    this.#balancerOf(node).finished(node, now, latencyMs);
  }
}
