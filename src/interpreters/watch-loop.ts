// The client side of a long poll: ask with the last stamp, take each answer, wait and ask again after a failure.

import type { Timers } from "../naming/index.ts";
import { type RetryConfig, retryDelayMs } from "./retry.ts";

/** What one poll brought back: a new value and its stamp, or a failure namerd declared (BindFailure, ...). */
export type PollAnswer<T> =
  | { readonly kind: "value"; readonly stamp: Uint8Array; readonly value: T }
  | {
      readonly kind: "failure";
      readonly reason: string;
      /** The stamp namerd gave the failure, when it gave one: then the next poll can wait on it. */
      readonly stamp?: Uint8Array;
    };

export interface WatchOptions<T> {
  /** One request; rejects on transport errors (namerd unreachable, connection lost, bad reply). */
  readonly poll: (stamp: Uint8Array, signal: AbortSignal) => Promise<PollAnswer<T>>;
  readonly onValue: (value: T) => void;
  readonly onFailure: (reason: string) => void;
  readonly retry: RetryConfig;
  /**
   * Subscribes to "namerd is reachable again" (returns the unsubscribe): a watch waiting out a transport
   * error then polls at once instead of at the end of its backoff.
   */
  readonly onReconnect?: (wake: () => void) => () => void;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: () => number;
}

/** A watch's state, for the admin page. */
export interface WatchState {
  readonly state: "pending" | "ok" | "failed";
  readonly stamp: string;
  readonly polls: number;
  readonly answers: number;
  readonly errors: number;
  readonly lastAnswerAgoMs: number | null;
  readonly lastError: string | null;
  readonly retryInMs: number | null;
}

export interface Watch {
  close(): void;
  state(): WatchState;
}

const EMPTY = new Uint8Array(0);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Polls until closed. A value is handed on and the next poll sent at once with its stamp, which namerd holds
 * until the value changes. A transport error keeps the last value, waits (jittered exponential backoff) and
 * starts over with an empty stamp, so that whatever changed meanwhile comes back with the first answer. A
 * declared failure is handed on; the next poll waits on the failure's stamp when namerd gave one, else backs off.
 */
export function startWatch<T>(o: WatchOptions<T>): Watch {
  let stamp: Uint8Array = EMPTY;
  let attempt = 0;
  let closed = false;
  let controller: AbortController | undefined;
  let timer: unknown;
  let unwake: (() => void) | undefined;
  let retryAt: number | undefined;
  let state: WatchState["state"] = "pending";
  let polls = 0;
  let answers = 0;
  let errors = 0;
  let lastAnswerAt: number | undefined;
  let lastError: string | undefined;

  const later = (resetStamp: boolean) => {
    const ms = retryDelayMs(o.retry, attempt++, o.random);
    if (resetStamp) stamp = EMPTY;
    retryAt = o.now() + ms;
    const again = () => {
      if (timer === undefined) return;
      o.timers.clearTimeout(timer);
      timer = undefined;
      retryAt = undefined;
      unwake?.();
      unwake = undefined;
      loop();
    };
    timer = o.timers.setTimeout(again, ms);
    if (resetStamp) unwake = o.onReconnect?.(again);
  };

  const loop = () => {
    if (closed) return;
    controller = new AbortController();
    const mine = controller;
    polls++;
    o.poll(stamp, mine.signal).then(
      (answer) => {
        if (closed || mine.signal.aborted) return;
        answers++;
        lastAnswerAt = o.now();
        if (answer.kind === "value") {
          attempt = 0;
          stamp = answer.stamp;
          state = "ok";
          lastError = undefined;
          o.onValue(answer.value);
          loop();
          return;
        }
        state = "failed";
        lastError = answer.reason;
        o.onFailure(answer.reason);
        if (answer.stamp !== undefined && answer.stamp.length > 0 && !sameBytes(answer.stamp, stamp)) {
          attempt = 0;
          stamp = answer.stamp;
          loop();
        } else {
          later(false);
        }
      },
      (e: unknown) => {
        if (closed || mine.signal.aborted) return;
        errors++;
        lastError = (e as Error)?.message ?? String(e);
        later(true);
      },
    );
  };

  loop();
  return {
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) o.timers.clearTimeout(timer);
      timer = undefined;
      unwake?.();
      controller?.abort(new Error("watch closed"));
    },
    state: () => ({
      state,
      stamp: Buffer.from(stamp).toString("hex"),
      polls,
      answers,
      errors,
      lastAnswerAgoMs: lastAnswerAt === undefined ? null : Math.round(o.now() - lastAnswerAt),
      lastError: lastError ?? null,
      retryInMs: retryAt === undefined ? null : Math.max(0, Math.round(retryAt - o.now())),
    }),
  };
}
