// The balancer contract and the part every algorithm shares: load accounting and Finagle's maxEffort re-picks.

import type { LoadMetric } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";

/** Picks a node for each request among the nodes it was last given. */
export interface Balancer<N extends BalancerNode> {
  /** Linkerd's name of the algorithm (`p2c`, `ewma`, `aperture`, `heap`, `roundRobin`). */
  readonly kind: string;
  /** The node set changed (membership, weights); called rarely. */
  update(nodes: readonly N[]): void;
  /**
   * A node for the next request: an open one if one is found within `maxEffort` tries, else a closed one
   * anyway (traffic still goes somewhere when every node is marked dead); undefined only when there are none.
   */
  pick(now: number): N | undefined;
  /** A request is being sent to `node` (picked by this balancer). */
  started(node: N, now: number): void;
  /** That request ended (answered or failed) after `latencyMs`. */
  finished(node: N, now: number, latencyMs: number): void;
  /** Picks that found no open node within `maxEffort` (`loadbalancer/max_effort_exhausted`). */
  readonly exhausted: number;
  /** The aperture size, for the aperture balancer (`loadbalancer/aperture`). */
  readonly aperture?: number;
}

/** Finagle's default number of re-picks when a picked node is not open. */
export const DEFAULT_MAX_EFFORT = 5;

/**
 * The common part: keeps the nodes, counts load through the metric, and re-picks up to `maxEffort` times when
 * `choose` lands on a node that is not open.
 */
export abstract class BaseBalancer<N extends BalancerNode> implements Balancer<N> {
  abstract readonly kind: string;
  protected nodes: readonly N[] = [];
  protected readonly metric: LoadMetric;
  readonly #maxEffort: number;
  exhausted = 0;

  constructor(metric: LoadMetric, maxEffort: number) {
    this.metric = metric;
    this.#maxEffort = maxEffort;
  }

  update(nodes: readonly N[]): void {
    this.nodes = nodes;
  }

  /** One choice among at least two nodes; `pick` handles the rest. */
  protected abstract choose(now: number): N;

  pick(now: number): N | undefined {
    const nodes = this.nodes;
    if (nodes.length <= 1) return nodes[0];
    let node = this.choose(now);
    for (let i = 0; i < this.#maxEffort && !node.isOpen(now); i++) node = this.choose(now);
    if (!node.isOpen(now)) {
      this.exhausted++;
      return this.fallback(now) ?? node;
    }
    return node;
  }

  /** When `maxEffort` found nothing open: a last look for an open node (none by default). */
  protected fallback(_now: number): N | undefined {
    return undefined;
  }

  started(node: N, _now: number): void {
    node.load++;
  }

  finished(node: N, now: number, latencyMs: number): void {
    node.load--;
    this.metric.observe(node, latencyMs, now);
  }
}
