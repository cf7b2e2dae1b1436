// The HTTP router: identifies a request, binds its name through the dtab, picks an endpoint and forwards it.

import { rewriteAbsoluteForm } from "../http/absolute-form.ts";
import type { HeaderList } from "../http/header-list.ts";
import { stripHopByHop, stripRequestHopByHop } from "../http/hop-by-hop.ts";
import {
  appendVia,
  checkCallDepth,
  clearRequestContext,
  clearResponseContext,
  DtabHeaderError,
  setDstBound,
  setDstService,
  takeLocalDtab,
  writeLocalDtab,
} from "../http/linkerd-headers.ts";
import type { HttpVersion, ProxyRequest } from "../http/message.ts";
import type { Dtab, Path } from "../naming/index.ts";
import type { Interpreter } from "../plugins.ts";
import type { MetricsScope } from "../telemetry/index.ts";
import type { Random } from "./balancer.ts";
import { BindingCache } from "./binding-cache.ts";
import { ClientCache } from "./client-cache.ts";
import type { Endpoint } from "./endpoint.ts";
import type { ErrorBody } from "./error-response.ts";
import { errorResponse } from "./error-response.ts";
import type { Identifier } from "./identifiers/index.ts";
import { Lru } from "./lru.ts";
import { pickLeaf } from "./pick-leaf.ts";
import type { ReplicaSet } from "./replica-set.ts";
import {
  badRequest,
  bindingTimeout,
  noBrokers,
  RouterError,
  unidentified,
  upstreamFailed,
} from "./router-errors.ts";
import { RequestStats } from "./router-metrics.ts";

export interface HttpRouterOptions {
  readonly label: string;
  readonly identifier: Identifier;
  /** The router's own dtab, before any per-request one. */
  readonly dtab: Dtab;
  readonly interpreter: Interpreter;
  readonly bindingTimeoutMs: number;
  readonly cache: { readonly paths: number; readonly clients: number; readonly idleTtlMs: number };
  /** Longest `l5d-err` header value written. */
  readonly maxErrHeaderBytes: number;
  /** Longest error body written. */
  readonly maxErrBodyBytes: number;
  /** `rt/<label>`. */
  readonly metrics: MetricsScope;
  readonly now: () => number;
  readonly random: Random;
}

/** What the server a request came in on asks of the router. */
export interface ServerPolicy {
  readonly clearContext: boolean;
  readonly maxCallDepth: number;
  readonly timestampHeader: string | undefined;
}

/** What routing needs of a request: its head (rewritten in place) and whether a body follows. */
export type RouteRequest = Pick<ProxyRequest, "method" | "target" | "version" | "headers">;

/** Where a routed request goes, and how its end is reported (status, or undefined with a failure name). */
export interface Route {
  readonly endpoint: Endpoint;
  done(status: number | undefined, failure?: string): void;
}

/** A router as the admin server sees it. */
export interface RouterView {
  readonly label: string;
  readonly dtab: Dtab;
  readonly interpreter: Interpreter;
  clients(): IterableIterator<ReplicaSet>;
}

export class HttpRouter implements RouterView {
  readonly label: string;
  readonly dtab: Dtab;
  readonly interpreter: Interpreter;
  readonly #o: HttpRouterOptions;
  readonly #bindings: BindingCache;
  readonly #clients: ClientCache;
  readonly #services: Lru<RequestStats>;
  readonly #clientStats = new Map<ReplicaSet, RequestStats>();

  constructor(options: HttpRouterOptions) {
    this.#o = options;
    this.label = options.label;
    this.dtab = options.dtab;
    this.interpreter = options.interpreter;
    const m = options.metrics;
    this.#bindings = new BindingCache({
      bind: (dtab, path) => options.interpreter.bind(dtab, path),
      max: options.cache.paths,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
    });
    this.#clients = new ClientCache({
      max: options.cache.clients,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
      random: options.random,
      onCreate: (c) => this.#clientStats.set(c, this.#newClientStats(c)),
      onEvict: (c) => {
        this.#clientStats.get(c)?.scope.remove();
        this.#clientStats.delete(c);
      },
    });
    this.#services = new Lru<RequestStats>({
      max: options.cache.paths,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
      onEvict: (_k, s) => s.scope.remove(),
    });
    m.gauge(["bindcache", "path", "size"], () => this.#bindings.size);
    m.gauge(["bindcache", "path", "misses"], () => this.#bindings.misses);
    m.gauge(["bindcache", "path", "evicts"], () => this.#bindings.evictions);
    m.gauge(["bindcache", "client", "size"], () => this.#clients.size);
    m.gauge(["bindcache", "client", "evicts"], () => this.#clients.evictions);
  }

  clients(): IterableIterator<ReplicaSet> {
    return this.#clients.clients();
  }

  #newClientStats(client: ReplicaSet): RequestStats {
    const scope = this.#o.metrics.scope(["client", client.id.show.slice(1)]);
    scope.gauge(["loadbalancer", "size"], () => client.endpoints.length);
    scope.gauge(["loadbalancer", "available"], () =>
      client.addr.kind === "bound" ? client.endpoints.length : 0,
    );
    scope.gauge("connections", () => client.endpoints.reduce((n, e) => n + e.connections, 0));
    return new RequestStats(scope);
  }

  #serviceStats(path: Path): RequestStats {
    const key = path.show;
    return this.#services.getOrCreate(
      key,
      () => new RequestStats(this.#o.metrics.scope(["service", key.slice(1)])),
    ).value;
  }

  /**
   * Routes one request: checks and rewrites its head, identifies it, binds its name and picks an endpoint.
   * Throws a RouterError for anything the proxy answers itself. The caller runs the exchange and reports its end
   * through `Route.done`.
   */
  async route(req: RouteRequest, server: ServerPolicy, started: number): Promise<Route> {
    const headers = req.headers;
    const stripped = stripRequestHopByHop(headers);
    if (stripped.kind === "refused") throw badRequest(stripped.message);
    if (server.clearContext) clearRequestContext(headers);
    const depth = checkCallDepth(headers, server.maxCallDepth);
    if (depth.kind === "exceeded") throw badRequest(depth.message);
    const target = rewriteAbsoluteForm(req);
    if (target.kind === "refused") throw new RouterError(target.status, target.message);
    let local: Dtab;
    try {
      local = takeLocalDtab(headers);
    } catch (e) {
      if (e instanceof DtabHeaderError) throw badRequest(e.message);
      throw e;
    }
    const id = this.#o.identifier.identify(req);
    if (id.kind === "unidentified") throw unidentified(id.reason);
    if (id.target !== undefined) req.target = id.target;

    const service = this.#serviceStats(id.path);
    service.started();
    try {
      return await this.#pick(req, id.path, local, server, started, service);
    } catch (e) {
      service.finished(e instanceof RouterError ? e.status : undefined, this.#o.now() - started);
      throw e;
    }
  }

  async #pick(
    req: RouteRequest,
    path: Path,
    local: Dtab,
    server: ServerPolicy,
    started: number,
    service: RequestStats,
  ): Promise<Route> {
    const dtab = this.dtab.concat(local);
    const deadline = started + this.#o.bindingTimeoutMs;
    const binding = this.#bindings.get(dtab, path);
    if (binding.state.kind === "pending" && !(await binding.ready(Math.max(0, deadline - this.#o.now())))) {
      throw bindingTimeout(path.show, this.#o.bindingTimeoutMs);
    }
    const state = binding.state;
    if (state.kind === "failed")
      throw new RouterError(502, `binding ${path.show} failed: ${state.error.message}`);
    if (state.kind === "pending") throw bindingTimeout(path.show, this.#o.bindingTimeoutMs);
    const leaf = pickLeaf(state.value, this.#o.random);
    if (leaf.kind === "none") throw noBrokers(path.show, this.dtab, local, leaf.why);
    const bound = leaf.bound;
    const client = this.#clients.get(bound);
    if (client.addr.kind === "pending" && !(await client.ready(Math.max(0, deadline - this.#o.now())))) {
      throw bindingTimeout(path.show, this.#o.bindingTimeoutMs);
    }
    const pick = client.pick();
    if (pick.kind === "pending") throw bindingTimeout(path.show, this.#o.bindingTimeoutMs);
    if (pick.kind === "none") throw noBrokers(bound.id.show, this.dtab, local, pick.why);
    const endpoint = pick.endpoint;

    const headers = req.headers;
    writeLocalDtab(headers, local);
    appendVia(headers, req.version);
    setDstService(headers, path);
    setDstBound(headers, bound.id, bound.residual);
    if (server.timestampHeader !== undefined) headers.set(server.timestampHeader, String(Date.now()));
    // Any `Expect: 100-continue` is answered by the proxy itself; the upstream must not wait for it.
    headers.delete("expect");

    const stats = this.#clientStats.get(client);
    stats?.started();
    endpoint.load++;
    let done = false;
    return {
      endpoint,
      done: (status, failure) => {
        if (done) return;
        done = true;
        endpoint.load--;
        const ms = this.#o.now() - started;
        stats?.finished(status, ms, failure);
        service.finished(status, ms);
      },
    };
  }

  /**
   * Rewrites an upstream response's head for the client: hop-by-hop headers out, Via in, and under clearContext
   * every `l5d-*` header out. Returns true when the body must be dropped (an `l5d-err` body under clearContext).
   */
  responseHeaders(headers: HeaderList, version: HttpVersion, clearContext: boolean): boolean {
    stripHopByHop(headers);
    appendVia(headers, version);
    return clearContext && clearResponseContext(headers).errPresent;
  }

  /** The error for an upstream exchange that failed before its answer. */
  upstreamError(endpoint: Endpoint, failure: Error & { notSent?: boolean }): RouterError {
    return upstreamFailed(endpoint.key, failure.message, failure.notSent === true);
  }

  /** The response for an error answered by this router (or its servers), with its limits on error sizes. */
  errorResponse(err: RouterError, clearContext: boolean, version: HttpVersion): ErrorBody {
    return errorResponse(err, {
      clearContext,
      version,
      maxErrHeaderBytes: this.#o.maxErrHeaderBytes,
      maxErrBodyBytes: this.#o.maxErrBodyBytes,
    });
  }

  /** Sweeps idle bindings and clients; the owner calls this now and then. */
  sweep(): void {
    this.#bindings.sweep();
    this.#clients.sweep();
    this.#services.sweep();
  }

  close(): void {
    this.#bindings.clear();
    this.#clients.clear();
    this.#services.clear();
  }
}
