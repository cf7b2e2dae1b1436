// One listening server of a router: its socket, its limits (maxConcurrentRequests) and its metrics.

import type { Server } from "node:http";
import type { ServerConfig } from "../config/linker-schema.ts";
import type { ProxyResponse } from "../http/message.ts";
import { createProxyServer, type ReceivedRequest } from "../http/proxy-server.ts";
import type { HttpRouter, ServerPolicy } from "../router/http-router.ts";
import { overloaded } from "../router/router-errors.ts";
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
}

/** Time a client has to send a request head before the connection is closed. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send a whole request, body included (a slow body is cut off after it). */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long an idle keep-alive client connection is kept open. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

export class RouterServer {
  readonly config: ServerConfig;
  readonly server: Server;
  #inFlight = 0;
  #stats: RequestStats | undefined;
  readonly #options: RouterServerOptions;

  constructor(options: RouterServerOptions) {
    this.#options = options;
    this.config = options.config;
    const c = options.config;
    this.server = createProxyServer({
      maxHeaderBytes: options.maxHeaderBytes,
      maxTargetBytes: options.maxTargetBytes,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      maxHeaderLinesBytes: options.maxHeaderLinesBytes,
      keepAliveTimeoutMs: c.serverSession?.idleTimeMs ?? KEEP_ALIVE_TIMEOUT_MS,
      noDelay: c.socketOptions?.noDelay ?? true,
      handle: (req, signal) => this.#handle(req, signal),
      onRefused: (status) => {
        this.#stats?.started();
        this.#stats?.finished(status, 0);
      },
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const c = this.config;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once("error", onError);
      this.server.listen({ port: c.port, host: c.ip, backlog: c.socketOptions?.backlog }, () => {
        this.server.off("error", onError);
        const address = this.server.address();
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
    let open = 0;
    scope.gauge("connections", () => open);
    this.server.on("connection", (socket) => {
      connects.incr();
      open++;
      socket.once("close", () => {
        open--;
        closes.incr();
      });
    });
  }

  async #handle(req: ReceivedRequest, signal: AbortSignal): Promise<ProxyResponse> {
    const stats = this.#stats as RequestStats;
    const c = this.config;
    const limit = c.maxConcurrentRequests;
    if (limit !== undefined && this.#inFlight >= limit) {
      stats.started();
      stats.finished(503, 0);
      return this.#options.router.errorResponse(overloaded(limit), c.clearContext, req.version);
    }
    this.#inFlight++;
    try {
      const policy: ServerPolicy = {
        clearContext: c.clearContext,
        maxCallDepth: c.maxCallDepth,
        timestampHeader: c.timestampHeader,
        stats,
      };
      return await this.#options.router.handle(req, policy, signal);
    } finally {
      this.#inFlight--;
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Stops accepting; idle keep-alive connections are closed now, busy ones when their request is done. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Cuts every remaining connection. */
  forceClose(): void {
    this.server.closeAllConnections();
  }
}
