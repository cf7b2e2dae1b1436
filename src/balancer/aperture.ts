// Aperture (Finagle's aperture, least loaded): traffic goes to a window of nodes sized to keep their load in a band.

import { Ema } from "../liveness/ema.ts";
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
  readonly #ema: Ema;
  readonly #rank = new Map<N, number>();
  #size: number;
  #total = 0;

  constructor(options: ApertureOptions, random: Random) {
    super(leastLoaded, options.maxEffort);
    this.#o = options;
    this.#random = random;
    this.#ema = new Ema(options.smoothWindowMs);
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

  /** Finagle's load band: widen above highLoad per node, narrow below lowLoad. */
  #adjust(total: number, now: number): void {
    const avg = this.#ema.update(now, total) / Math.max(1, this.#size);
    const count = this.nodes.length;
    if (avg >= this.#o.highLoad && this.#size < count) this.#size++;
    else if (avg <= this.#o.lowLoad && this.#size > this.#o.minAperture) this.#size--;
  }
}
