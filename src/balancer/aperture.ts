// Aperture (Finagle's aperture, least loaded): traffic goes to a window of nodes sized to keep their load in a band.

import { BaseBalancer } from "./balancer.ts";
import { leastLoaded } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";
import { p2cChoose } from "./p2c.ts";
import type { Random } from "./random.ts";

export interface ApertureOptions {
  /** Window of the moving average of load (Linkerd's `smoothWindowMs`, default 5000). */
  readonly smoothWindowMs: number;
  /** Below this average load per node in the aperture it shrinks (default 0.5). */
  readonly lowLoad: number;
  /** Above this it grows (default 2). */
  readonly highLoad: number;
  /** The smallest aperture (default 1). */
  readonly minAperture: number;
  readonly maxEffort: number;
}

/**
 * The nodes are put in a random order once (kept across membership changes for the nodes that stay); requests go
 * to the first `aperture` of them, chosen by power of two choices, least loaded. The total load is averaged over
 * `smoothWindowMs`; when the average per node in the aperture reaches `highLoad` the aperture widens by one, when
 * it falls to `lowLoad` it narrows by one (never below `minAperture`). Few connections for light traffic, more as
 * it grows. When nothing in the aperture is open, the first open node beyond it is used.
 */
export class ApertureBalancer<N extends BalancerNode> extends BaseBalancer<N> {
  readonly kind = "aperture";
  readonly #o: ApertureOptions;
  readonly #random: Random;
  /** The weighted sum of the load samples, the sum of their weights, and when the last was taken. */
  #sum = 0;
  #weight = 0;
  #stamp = Number.NEGATIVE_INFINITY;
  readonly #rank = new Map<N, number>();
  #size: number;
  #total = 0;

  constructor(options: ApertureOptions, random: Random) {
    super(leastLoaded, options.maxEffort);
    this.#o = options;
    this.#random = random;
    this.#size = options.minAperture;
  }

  get aperture(): number {
    return Math.min(this.#size, this.nodes.length);
  }

  override update(nodes: readonly N[]): void {
    // A node keeps its random rank while it stays, so the aperture does not reshuffle on every change.
    const rank = new Map<N, number>();
    for (const node of nodes) rank.set(node, this.#rank.get(node) ?? this.#random());
    this.#rank.clear();
    for (const [node, r] of rank) this.#rank.set(node, r);
    super.update([...nodes].sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number)));
    this.#size = Math.max(this.#o.minAperture, Math.min(this.#size, nodes.length));
  }

  protected choose(now: number): N {
    const nodes = this.nodes;
    const n = Math.max(1, Math.min(this.#size, nodes.length));
    if (n === 1) return nodes[0] as N;
    return p2cChoose(nodes, n, now, this.#random, this.#o.maxEffort, (x) => x.load);
  }

  protected override fallback(now: number): N | undefined {
    for (const node of this.nodes) if (node.isOpen(now)) return node;
    return undefined;
  }

  override started(node: N, now: number): void {
    super.started(node, now);
    this.#adjust(++this.#total, now);
  }

  override finished(node: N, now: number, latencyMs: number): void {
    super.finished(node, now, latencyMs);
    this.#adjust(--this.#total, now);
  }

  /**
   * Finagle's load band: widen above highLoad per node, narrow below lowLoad, on the load averaged over
   * `smoothWindowMs`.
   */
  #adjust(total: number, now: number): void {
    const avg = this.#averageLoad(total, now) / Math.max(1, this.#size);
    const count = this.nodes.length;
    if (avg >= this.#o.highLoad && this.#size < count) this.#size++;
    else if (avg <= this.#o.lowLoad && this.#size > this.#o.minAperture) this.#size--;
  }

  /**
   * The load averaged over `smoothWindowMs` (each sample weighted `1 - e^(-Δt / window)`, as in Finagle's
   * Ema), divided by the weight the samples have had so far. Finagle's Ema starts from its first sample at full
   * weight, so a balancer that starts under heavy traffic sees the load of its first request for
   * seconds, keeps its window one node wide, and piles that traffic onto its first endpoint: in the balancer
   * simulation, requests queued for up to 23 s on a slow replica that happened to be first. Divided by the
   * weight, a young average is the mean of what it has seen; once a window has passed, the two are the same.
   */
  #averageLoad(total: number, now: number): number {
    const window = this.#o.smoothWindowMs;
    // The first sample has had no time yet: it weighs nothing (the load right now stands in until one has).
    const w =
      window === 0
        ? 0
        : this.#stamp === Number.NEGATIVE_INFINITY
          ? 1
          : Math.exp(-Math.max(0, now - this.#stamp) / window);
    this.#stamp = now;
    this.#sum = total * (1 - w) + this.#sum * w;
    this.#weight = 1 - w + this.#weight * w;
    return this.#weight > 0 ? this.#sum / this.#weight : total;
  }
}
