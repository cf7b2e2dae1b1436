// The client side of namerd's `?watch=true` streams: one JSON document a line, reconnecting with backoff when cut.

import { request } from "node:http";
import type { Timers } from "../naming/index.ts";
import type { NamerdDst } from "./namerd-dst.ts";
import { type RetryConfig, retryDelayMs } from "./retry.ts";
import type { Watch, WatchState } from "./watch-loop.ts";

/** How long to wait for `dst` to have addresses before an attempt fails. */
const RESOLVE_TIMEOUT_MS = 5000;
/** The longest line accepted from namerd (a bound tree of a big union is long, but not this long). */
const MAX_LINE_BYTES = 8 << 20;

export interface HttpWatchOptions<T> {
  readonly dst: NamerdDst;
  /** The request path with its query, e.g. `/api/1/bind/default?path=/svc/a&watch=1`. */
  readonly path: string;
  /** Reads one line; throws when it is not a document (namerd ends a failed stream with a message line). */
  readonly parse: (json: unknown) => T;
  readonly onValue: (value: T) => void;
  readonly onFailure: (reason: string) => void;
  readonly retry: RetryConfig;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * Keeps a watch stream open until closed. Each line is handed on as it comes; a line that is not JSON is
 * namerd's failure message. When the stream ends after giving values it is opened again at once; when it
 * cannot be opened or breaks, the last value stands and the next attempt waits (jittered exponential backoff).
 */
export function startHttpWatch<T>(o: HttpWatchOptions<T>): Watch {
  let closed = false;
  let attempt = 0;
  let next = 0;
  let timer: unknown;
  let retryAt: number | undefined;
  let abort: (() => void) | undefined;
  let state: WatchState["state"] = "pending";
  let polls = 0;
  let answers = 0;
  let errors = 0;
  let lastAnswerAt: number | undefined;
  let lastError: string | undefined;

  const later = () => {
    const ms = retryDelayMs(o.retry, attempt++, o.random);
    retryAt = o.now() + ms;
    timer = o.timers.setTimeout(() => {
      timer = undefined;
      retryAt = undefined;
      open();
    }, ms);
  };

  /** Takes one line; true when it was a value. */
  const onLine = (line: string): boolean => {
    if (line.trim() === "") return false;
    answers++;
    lastAnswerAt = o.now();
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      state = "failed";
      lastError = line.trim();
      o.onFailure(line.trim());
      return false;
    }
    let value: T;
    try {
      value = o.parse(json);
    } catch (e) {
      state = "failed";
      lastError = `unreadable answer from namerd: ${(e as Error).message}`;
      return false;
    }
    attempt = 0;
    state = "ok";
    lastError = undefined;
    o.onValue(value);
    return true;
  };

  const open = () => {
    if (closed) return;
    polls++;
    let gotValue = false;
    let finished = false;
    const finish = (error: string | undefined) => {
      if (finished || closed) return;
      finished = true;
      abort = undefined;
      if (error !== undefined) {
        errors++;
        lastError = error;
        later();
      } else if (gotValue) {
        open();
      } else {
        later();
      }
    };
    o.dst.resolve(RESOLVE_TIMEOUT_MS).then(
      (addresses) => {
        if (closed) return;
        const a = addresses[next++ % addresses.length] as { ip: string; port: number };
        const req = request({
          host: a.ip,
          port: a.port,
          path: o.path,
          method: "GET",
          headers: { accept: "application/json" },
        });
        abort = () => req.destroy();
        req.on("error", (e) => finish(`${a.ip}:${a.port}: ${e.message}`));
        req.on("response", (res) => {
          if (res.statusCode !== 200) {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => {
              if (body.length < 4096) body += c;
            });
            res.on("end", () => {
              const reason = `namerd answered ${res.statusCode}: ${body.trim()}`;
              state = "failed";
              o.onFailure(reason);
              finish(reason);
            });
            res.on("error", (e) => finish(e.message));
            return;
          }
          let buffered = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffered += chunk;
            let nl = buffered.indexOf("\n");
            while (nl >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (onLine(line)) gotValue = true;
              if (closed) return;
              nl = buffered.indexOf("\n");
            }
            if (buffered.length > MAX_LINE_BYTES) {
              req.destroy();
              finish("a line from namerd is too long");
            }
          });
          res.on("end", () => {
            if (buffered.trim() !== "" && onLine(buffered)) gotValue = true;
            finish(undefined);
          });
          res.on("error", (e) => finish(e.message));
          res.on("close", () => finish(res.complete ? undefined : "stream cut"));
        });
        req.end();
      },
      (e: Error) => finish(e.message),
    );
  };

  open();
  return {
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) o.timers.clearTimeout(timer);
      abort?.();
    },
    state: () => ({
      state,
      stamp: "",
      polls,
      answers,
      errors,
      lastAnswerAgoMs: lastAnswerAt === undefined ? null : Math.round(o.now() - lastAnswerAt),
      lastError: lastError ?? null,
      retryInMs: retryAt === undefined ? null : Math.max(0, Math.round(retryAt - o.now())),
    }),
  };
}
