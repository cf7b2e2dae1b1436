// Paces a renderer's chunks so a large scrape yields to the event loop instead of stalling requests.

/** One turn of the event loop (pending I/O and timers run first). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * How long rendering may hold the event loop at a time. A request that arrives meanwhile waits at most this long:
 * with 1 ms slices a scrape per second of 1,000 names added 1.2 ms to the proxy's p99 at 1,000 rps.
 */
export const DEFAULT_SLICE_MS = 0.25;

export interface PaceOptions {
  /** The longest run of rendering between two turns of the event loop, in ms; default 0.25. */
  readonly sliceMs?: number;
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  readonly clock?: () => number;
  /** Lets the event loop run (pending I/O, timers); default `setImmediate`. */
  readonly pause?: () => Promise<unknown>;
}

/**
 * The chunks of `chunks`, handing the event loop a turn whenever producing and consuming them has taken
 * `sliceMs`. Suited to `Readable.from(paced(prometheusChunks(metrics.root)))`, so a scrape of 20,000 metrics
 * costs many short slices rather than one long stall.
 */
export async function* paced(
  chunks: Iterable<string>,
  options: PaceOptions = {},
): AsyncGenerator<string, void, undefined> {
  const clock = options.clock ?? (() => performance.now());
  const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
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
