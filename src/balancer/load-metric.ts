// Load metrics: how loaded a node looks to a balancer: requests in flight, or peak-EWMA latency times them.

import type { BalancerNode } from "./node.ts";

/** Turns a node's state into a cost to compare (lower is better), and learns from finished requests. */
export interface LoadMetric {
  readonly name: string;
  cost(node: BalancerNode, now: number): number;
  /** A request on `node` ended after `latencyMs`. */
  observe(node: BalancerNode, latencyMs: number, now: number): void;
}

/** Finagle's least-loaded metric: the number of requests in flight. */
export const leastLoaded: LoadMetric = {
  name: "least_loaded",
  cost: (node) => node.load,
  observe: () => {},
};

/** A node with requests in flight but no latency known yet costs more than any measured one (Finagle's Penalty). */
const PENALTY = 2 ** 47;

/**
 * Finagle's peak EWMA: a moving average of round-trip times that jumps to any higher round trip at once and
 * decays towards lower ones (and towards 0 while idle) over `decayTimeMs`; the cost is that average times
 * (requests in flight + 1). A slow node's cost rises at its first slow answer; it is tried again as the
 * average decays.
 */
export function peakEwma(decayTimeMs: number): LoadMetric {
  const decay = (node: BalancerNode, rtt: number, now: number) => {
    let s = node.latency;
    if (s === undefined) {
      s = { cost: 0, stamp: now };
      node.latency = s;
    }
    const w = Math.exp(-Math.max(0, now - s.stamp) / decayTimeMs);
    s.cost = rtt > s.cost ? rtt : s.cost * w + rtt * (1 - w);
    s.stamp = now;
    return s.cost;
  };
  return {
    name: "peak_ewma",
    cost(node, now) {
      const cost = decay(node, 0, now);
      if (cost === 0 && node.load !== 0) return PENALTY + node.load;
      return cost * (node.load + 1);
    },
    observe(node, latencyMs, now) {
      decay(node, latencyMs, now);
    },
  };
}
