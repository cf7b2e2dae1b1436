// Measures how long a membership change takes to reach routing: from the write's completion to the first request routed to, or away from, a member.

import { type Backend, firstArrival, lastArrival } from "./backends.ts";

/** Which way a change moves traffic for the member watched. */
export type Direction = "to" | "away";

/** A kind of change and how to make it: `write` resolves when the write is complete (ZooKeeper acked, file written). */
export interface Change {
  readonly name: string;
  readonly direction: Direction;
  readonly write: () => Promise<void> | void;
}

/** How long "away" waits with no request reaching the member before it counts the member as left. */
export const QUIET_MS = 100;
/** How long a change gets to reach routing before the sample counts as lost. */
const TIMEOUT_MS = 10_000;

/**
 * One sample: makes the change and resolves with the milliseconds from the write's completion to the first
 * request arriving at `member` ("to"), or to the last one arriving there before it goes quiet for QUIET_MS
 * ("away"); undefined when the change did not reach routing within 10 s. A watcher may hear of a change before
 * the writer hears its write completed: such a sample is 0.
 */
export async function sample(change: Change, member: Backend): Promise<number | undefined> {
  if (change.direction === "to") {
    const arrival = firstArrival(member, TIMEOUT_MS);
    await change.write();
    const written = performance.now();
    const at = await arrival;
    return at === undefined ? undefined : Math.max(0, at - written);
  }
  await change.write();
  const written = performance.now();
  const last = await lastArrival(member, written, QUIET_MS, TIMEOUT_MS);
  return last === undefined ? undefined : last - written;
}

/** Percentiles (nearest rank) and the largest of a list of milliseconds. */
export interface Summary {
  readonly samples: number;
  readonly lost: number;
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
  readonly mean: number | undefined;
}

export function summarize(values: readonly (number | undefined)[]): Summary {
  const v = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const rank = (p: number) =>
    v.length === 0 ? undefined : v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)];
  return {
    samples: v.length,
    lost: values.length - v.length,
    p50: rank(0.5),
    p90: rank(0.9),
    p99: rank(0.99),
    max: v.at(-1),
    mean: v.length === 0 ? undefined : v.reduce((s, x) => s + x, 0) / v.length,
  };
}
