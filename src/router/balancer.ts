// Picks an endpoint for a request: power of two choices, least loaded (Finagle's p2c), weights respected.

import type { Endpoint } from "./endpoint.ts";

/** A source of uniform random numbers in [0, 1), passed in so picks can be tested. */
export type Random = () => number;

/**
 * Picks two distinct endpoints at random and takes the one with less load per unit of weight; ties go to the
 * first. Endpoints of weight 0 are used only when nothing else is left.
 */
export function pickLeastLoaded(endpoints: readonly Endpoint[], random: Random): Endpoint | undefined {
  const n = endpoints.length;
  if (n === 0) return undefined;
  if (n === 1) return endpoints[0];
  const i = Math.floor(random() * n);
  let j = Math.floor(random() * (n - 1));
  if (j >= i) j++;
  const a = endpoints[i] as Endpoint;
  const b = endpoints[j] as Endpoint;
  return cost(b) < cost(a) ? b : a;
}

function cost(e: Endpoint): number {
  if (e.weight <= 0) return Number.POSITIVE_INFINITY;
  return (e.load + 1) / e.weight;
}
