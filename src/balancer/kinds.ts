// Linkerd's load balancer kinds (client.loadBalancer) as factories: picker × load metric, behind weight classes.

import { ApertureBalancer } from "./aperture.ts";
import { type Balancer, DEFAULT_MAX_EFFORT } from "./balancer.ts";
import { HeapBalancer } from "./heap.ts";
import { leastLoaded, peakEwma } from "./load-metric.ts";
import type { BalancerNode } from "./node.ts";
import { P2CBalancer } from "./p2c.ts";
import type { Random } from "./random.ts";
import { RoundRobinBalancer } from "./round-robin.ts";
import { WeightedBalancer } from "./weighted.ts";

/** Makes one balancer per client. */
export interface BalancerFactory {
  readonly kind: string;
  make<N extends BalancerNode>(random: Random): Balancer<N>;
}

function weighted(
  kind: string,
  maxEffort: number,
  inner: <N extends BalancerNode>(random: Random) => Balancer<N>,
): BalancerFactory {
  return {
    kind,
    make: <N extends BalancerNode>(random: Random) =>
      new WeightedBalancer<N>(() => inner<N>(random), random, maxEffort),
  };
}

/** `p2c`: power of two choices, least loaded (the default). */
export function p2c(o: { maxEffort?: number } = {}): BalancerFactory {
  const maxEffort = o.maxEffort ?? DEFAULT_MAX_EFFORT;
  return weighted("p2c", maxEffort, (random) => new P2CBalancer("p2c", leastLoaded, maxEffort, random));
}

/** `ewma`: power of two choices, peak EWMA of latency (`decayTimeMs` default 10 s). */
export function ewma(o: { maxEffort?: number; decayTimeMs?: number } = {}): BalancerFactory {
  const maxEffort = o.maxEffort ?? DEFAULT_MAX_EFFORT;
  const decay = o.decayTimeMs ?? 10_000;
  return weighted("ewma", maxEffort, (random) => new P2CBalancer("ewma", peakEwma(decay), maxEffort, random));
}

/** `aperture`: least loaded within an aperture sized by load. */
export function aperture(
  o: {
    maxEffort?: number;
    smoothWindowMs?: number;
    lowLoad?: number;
    highLoad?: number;
    minAperture?: number;
  } = {},
): BalancerFactory {
  const options = {
    maxEffort: o.maxEffort ?? DEFAULT_MAX_EFFORT,
    smoothWindowMs: o.smoothWindowMs ?? 5000,
    lowLoad: o.lowLoad ?? 0.5,
    highLoad: o.highLoad ?? 2,
    minAperture: o.minAperture ?? 1,
  };
  return weighted("aperture", options.maxEffort, (random) => new ApertureBalancer(options, random));
}

/** `heap`: exactly the least loaded. */
export function heap(): BalancerFactory {
  return weighted("heap", DEFAULT_MAX_EFFORT, () => new HeapBalancer());
}

/** `roundRobin`: in turn. */
export function roundRobin(o: { maxEffort?: number } = {}): BalancerFactory {
  const maxEffort = o.maxEffort ?? DEFAULT_MAX_EFFORT;
  return weighted("roundRobin", maxEffort, () => new RoundRobinBalancer(maxEffort));
}
