// What a balancer needs of an endpoint: its weight, its requests in flight, whether it is open, its latency state.

/** The latency a peak-EWMA balancer keeps for a node (Finagle's PeakEwma metric). */
export interface LatencyEwma {
  /** Moving average of round trips in ms, jumping to any higher one at once. */
  cost: number;
  /** When `cost` was last brought up to date. */
  stamp: number;
}

/** An endpoint as a balancer sees it. */
export interface BalancerNode {
  /** Relative share of traffic (from `* weight` in discovery or a Union branch); 1 by default. */
  readonly weight: number;
  /** Requests in flight; balancers add and remove as requests start and end. */
  load: number;
  /** False while failure accrual keeps the node out (Finagle's Busy): balancers look elsewhere first. */
  isOpen(now: number): boolean;
  /** State of the peak-EWMA load metric, made by it when first needed. */
  latency: LatencyEwma | undefined;
}
