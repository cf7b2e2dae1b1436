// A bare pass-through proxy on the same data path as the routers, with none of their work: the floor for benchmarks.

import { HeaderList } from "../http/header-list.ts";
import type { ConnectionRouter } from "../http1/client-connection.ts";
import { AfterFailure, type ExchangeRoute } from "../http1/exchange-route.ts";
import { createHttp1Server, type Http1Server } from "../http1/server.ts";
import { Addr } from "../naming/index.ts";
import { Endpoint } from "../router/endpoint.ts";
import { RouterError } from "../router/router-errors.ts";

/**
 * Forwards every request to one address: no identification, binding, header rewriting or metrics. Comparing a
 * router with it shows what the Linkerd features cost on top of moving the bytes.
 */
export function createPassthrough(to: { ip: string; port: number }): Http1Server {
  const endpoint = new Endpoint(Addr.address(to.ip, to.port));
  const refused = () => new RouterError(503, "unavailable");
  // One attempt, no time limit, no retries, no statistics.
  const route: ExchangeRoute = {
    endpoint,
    expiresAt: Number.POSITIVE_INFINITY,
    replayBytes: 0,
    retryDelayMs: 0,
    successClass: undefined,
    succeeded: true,
    startAttempt: () => Number.POSITIVE_INFINITY,
    response: () => true,
    failure: () => AfterFailure.fail,
    repick: refused,
    done: () => {},
    expired: refused,
    attemptTimedOut: refused,
    poolExhausted: refused,
  };
  const router: ConnectionRouter = {
    route: () => Promise.resolve(route),
    responseHeaders: () => false,
    errorResponse: (err) => {
      const headers = new HeaderList();
      headers.add("Content-Length", "0");
      return { status: err.status, headers, body: Buffer.alloc(0) };
    },
    upstreamError: (_r, failure) => new RouterError(502, failure.message),
    refused: () => {},
    started: () => {},
    finished: () => {},
    now: () => performance.now(),
  };
  return createHttp1Server(router, {
    maxHeaderBytes: 64 * 1024,
    maxHeaderLinesBytes: 64 * 1024,
    maxTargetBytes: 16 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 60_000,
    keepAliveTimeoutMs: 10_000,
  });
}
