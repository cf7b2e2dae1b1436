// One listening server of a router: its socket, its limits (maxConcurrentRequests) and its metrics.

import type { ServerConfig } from "../config/linker-schema.ts";
import type { HeaderList } from "../http/header-list.ts";
import type { HttpVersion } from "../http/message.ts";
import type { ConnectionRouter, Exchange } from "../http1/client-connection.ts";
import type { ExchangeRoute } from "../http1/exchange-route.ts";
import { createHttp1Server, type Http1Server } from "../http1/server.ts";
import type { UpstreamFailure } from "../http1/upstream.ts";
import type { HttpRouter, ServerPolicy } from "../router/http-router.ts";
import { overloaded, type RouterError } from "../router/router-errors.ts";
import { RequestStats } from "../router/router-metrics.ts";
import type { MetricsScope } from "../telemetry/index.ts";

export interface RouterServerOptions {
  readonly config: ServerConfig;
  readonly router: HttpRouter;
  /** `rt/<router>`; the server's metrics go under `server/<ip>/<port>`. */
  readonly metrics: MetricsScope;
  readonly maxHeaderBytes: number;
  readonly maxTargetBytes: number;
  /** Linkerd's maxHeadersKB, in bytes: the header lines alone. */
  readonly maxHeaderLinesBytes: number;
  readonly now: () => number;
}

/** Time a client has to send a request head before the connection is closed. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send a whole request, body included (a slow body is cut off after it). */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long an idle keep-alive client connection is kept open. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

export class RouterServer implements ConnectionRouter {
  readonly config: ServerConfig;
  readonly #http: Http1Server;
  readonly #options: RouterServerOptions;
  readonly #policy: ServerPolicy;
  /** Made when the server listens, with its real port in the name; no request arrives before. */
  #stats: RequestStats | undefined;
  #inFlight = 0;

  constructor(options: RouterServerOptions) {
    this.#options = options;
    this.config = options.config;
    const c = options.config;
    this.#policy = {
      clearContext: c.clearContext,
      maxCallDepth: c.maxCallDepth,
      timestampHeader: c.timestampHeader,
    };
    this.#http = createHttp1Server(this, {
      maxHeaderBytes: options.maxHeaderBytes,
      maxHeaderLinesBytes: options.maxHeaderLinesBytes,
      maxTargetBytes: options.maxTargetBytes,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.serverSession?.idleTimeMs ?? KEEP_ALIVE_TIMEOUT_MS,
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const c = this.config;
    const server = this.#http.server;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once("error", onError);
      server.listen({ port: c.port, host: c.ip, backlog: c.socketOptions?.backlog }, () => {
        server.off("error", onError);
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : c.port;
        this.#initMetrics(port);
        resolve(port);
      });
    });
  }

  #initMetrics(port: number): void {
    const scope = this.#options.metrics.scope(["server", `${this.config.ip}/${port}`]);
    this.#stats = new RequestStats(scope);
    const connects = scope.counter("connects");
    const closes = scope.counter("closes");
    scope.gauge("connections", () => this.#http.connections);
    this.#http.server.on("connection", (socket) => {
      connects.incr();
      socket.once("close", () => closes.incr());
    });
  }

  route(request: Exchange, started: number): ExchangeRoute | Promise<ExchangeRoute> {
    const limit = this.config.maxConcurrentRequests;
    if (limit !== undefined && this.#inFlight > limit) throw overloaded(limit);
    return this.#options.router.route(request, this.#policy, started);
  }

  responseHeaders(headers: HeaderList, version: HttpVersion, route: ExchangeRoute): boolean {
    return this.#options.router.responseHeaders(headers, version, this.config.clearContext, route);
  }

  errorResponse(err: RouterError, version: HttpVersion) {
    return this.#options.router.errorResponse(err, this.config.clearContext, version);
  }

  upstreamError(route: ExchangeRoute, failure: UpstreamFailure): RouterError {
    return this.#options.router.upstreamError(route.endpoint, failure);
  }

  refused(status: number): void {
    this.#stats?.started();
    this.#stats?.finished(status, 0);
  }

  started(): void {
    this.#inFlight++;
    this.#stats?.started();
  }

  finished(status: number | undefined, ms: number, success?: boolean): void {
    this.#inFlight--;
    this.#stats?.finished(status, ms, undefined, success);
  }

  now(): number {
    return this.#options.now();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Stops accepting; idle keep-alive connections are closed now, busy ones when their request is done. */
  stopAccepting(): Promise<void> {
    return this.#http.stopAccepting();
  }

  /** Cuts every remaining connection. */
  forceClose(): void {
    this.#http.closeAll();
  }
}
