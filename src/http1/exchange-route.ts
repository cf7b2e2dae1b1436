// What the data path asks of the router about one request across its attempts: where, how long, and whether to retry.

import type { HeaderList } from "../http/header-list.ts";
import type { RouterError } from "../router/router-errors.ts";
import type { ConnectionPool } from "./upstream.ts";

/** What a failed attempt (one that got no response) leads to. */
export const AfterFailure = Object.freeze({
  /** Answer the client with the failure. */
  fail: 0,
  /** Send it again at once to a newly picked endpoint (a connection failure: nothing reached the upstream). */
  requeue: 1,
  /** Send it again after `retryDelayMs`, to a newly picked endpoint. */
  retry: 2,
} as const);
export type AfterFailure = (typeof AfterFailure)[keyof typeof AfterFailure];

/**
 * A routed request. The data path calls `startAttempt` before each attempt, then exactly one of `response`
 * (a response head arrived) or `failure` (none will), and `done` once with what the client got. Between
 * attempts it calls `repick`. All times are the router's monotonic milliseconds.
 */
export interface ExchangeRoute {
  /** The endpoint of the current attempt. */
  readonly endpoint: { readonly key: string; readonly pool: ConnectionPool };
  /** When the whole request must be answered (totalTimeoutMs, l5d-ctx-deadline); Infinity for never. */
  readonly expiresAt: number;
  /** Request body bytes kept so that the request can be sent again; a longer body cannot be retried. */
  readonly replayBytes: number;
  /** After `response` returned false or `failure` returned `retry`: how long to wait. */
  readonly retryDelayMs: number;
  /** The `l5d-success-class` of the response passed on, once known; undefined for none. */
  readonly successClass: string | undefined;
  /** Whether the response passed on counts as a success (for server statistics). */
  readonly succeeded: boolean;
  /**
   * An attempt starts now on `endpoint`: counts it and rewrites the request headers that depend on it (the
   * outgoing deadline). Returns when the attempt must have its answer (Infinity for never).
   */
  startAttempt(headers: HeaderList, now: number): number;
  /** The attempt's answer began with `status`: true to pass it on, false to retry after `retryDelayMs`. */
  response(status: number, raw: readonly string[], replayable: boolean, now: number): boolean;
  /**
   * The attempt failed without an answer; `requeueable` when nothing can have reached the upstream
   * (connection refused, or a pooled connection found closed), `code` names the failure.
   */
  failure(code: string, requeueable: boolean, replayable: boolean, now: number): AfterFailure;
  /** Moves to a newly picked endpoint for the next attempt; the error to answer when there is none. */
  repick(now: number): RouterError | undefined;
  /**
   * The request ended with `status` for the client, or undefined with a failure name. An attempt still open
   * (cut by the total timeout or the client) ends with it, counted against no endpoint.
   */
  done(status: number | undefined, failure?: string): void;
  /** The answer when `expiresAt` comes before a response. */
  expired(): RouterError;
  /** The answer when an attempt timed out and is not retried. */
  attemptTimedOut(): RouterError;
  /** The answer when `maxWaiters` requests already wait for a connection to the endpoint. */
  poolExhausted(): RouterError;
}
