// Streams an observed value as namerd's `?watch=true` does: one rendered document a line, each change once, errors end it.

import type { ServerResponse } from "node:http";
import type { Activity, Closable, State } from "../../../naming/index.ts";

/** `watch=true` (also `1` and `t`, any case), as Finagle's boolean parameters. */
export function isWatch(params: URLSearchParams): boolean {
  const v = params.get("watch");
  return v !== null && /^(true|1|t)$/i.test(v);
}

/**
 * Writes each new value of `activity` to `res` as `render(value)` (a line; `undefined` skips the value), in
 * order and without repeating an unchanged line. While a line is being rendered or the client is slow to
 * read, only the latest value waits, so a slow reader cannot make memory grow. A failure writes its message
 * as the last line and ends the response; the client going away closes the observation.
 */
export function streamActivity<T>(
  res: ServerResponse,
  activity: Activity<T>,
  contentType: string,
  render: (value: T) => string | undefined | Promise<string | undefined>,
  onEnd: () => void = () => {},
): void {
  res.writeHead(200, { "Content-Type": contentType, "Transfer-Encoding": "chunked" });
  res.flushHeaders();
  let sub: Closable | undefined;
  let ended = false;
  let busy = false;
  let waiting: State<T> | undefined;
  let last: string | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    sub?.close();
    sub = undefined;
    onEnd();
  };
  res.on("close", end);
  const pump = async () => {
    busy = true;
    try {
      while (waiting !== undefined && !ended) {
        const s = waiting;
        waiting = undefined;
        if (s.kind === "failed") {
          res.end(`${s.error.message}\n`);
          end();
          return;
        }
        if (s.kind !== "ok") continue;
        const line = await render(s.value);
        if (line === undefined || line === last || ended) continue;
        last = line;
        if (!res.write(line)) await new Promise((r) => res.once("drain", r).once("close", r));
      }
    } catch (e) {
      if (!ended) res.end(`${(e as Error).message}\n`);
      end();
    } finally {
      busy = false;
    }
  };
  sub = activity.observe((s) => {
    if (ended || s.kind === "pending") return;
    waiting = s;
    if (!busy) void pump();
  });
  if (ended) sub.close();
}
