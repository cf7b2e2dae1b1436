// Paces a renderer's chunks so a large scrape yields to the event loop instead of stalling requests.

import { setImmediate as nextTurn } from "node:timers/promises";

export interface PaceOptions {
  /** The longest run of rendering between two turns of the event loop, in ms; default 1. */
  readonly sliceMs?: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  readonly clock?: () => number;
  /** Lets the event loop run (pending I/O, timers); default `setImmediate`. */
  readonly pause?: () => Promise<unknown>;
}

/**
 * The chunks of `chunks`, handing the event loop a turn whenever producing and consuming them has taken
 * `sliceMs`. Suited to `Readable.from(paced(prometheusChunks(metrics.root)))`, so a scrape of 20,000 metrics
 * costs many ~1 ms slices rather than one long stall.
 */
export async function* paced(
  chunks: Iterable<string>,
  options: PaceOptions = {},
): AsyncGenerator<string, void, undefined> {
  const clock = options.clock ?? (() => performance.now());
  const sliceMs = options.sliceMs ?? 1;
  const pause = options.pause ?? (() => nextTurn());
  let start = clock();
  for (const chunk of chunks) {
    yield chunk;
    if (clock() - start >= sliceMs) {
      await pause();
      start = clock();
    }
  }
}
