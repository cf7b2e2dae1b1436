// The HTTP router: identifies a request, binds its name through the dtab, picks an endpoint and forwards it.

import type { Readable } from "node:stream";
import { rewriteAbsoluteForm } from "../http/absolute-form.ts";
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
import type { HttpVersion, ProxyResponse } from "../http/message.ts";
import type { ReceivedRequest } from "../http/proxy-server.ts";
import { callUpstream, UpstreamError } from "../http/upstream.ts";
import type { Dtab, Path } from "../naming/index.ts";
import type { Interpreter } from "../plugins.ts";
import type { MetricsScope } from "../telemetry/index.ts";
import type { Random } from "./balancer.ts";
import { BindingCache } from "./binding-cache.ts";
import { ClientCache } from "./client-cache.ts";
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
  readonly stats: RequestStats;
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

  /** Answers one request; never rejects: every failure becomes an error response with `l5d-err`. */
  async handle(req: ReceivedRequest, server: ServerPolicy, signal: AbortSignal): Promise<ProxyResponse> {
    const started = this.#o.now();
    server.stats.started();
    let response: ProxyResponse;
    try {
      response = await this.#route(req, server, signal, started);
    } catch (e) {
      const err = e instanceof RouterError ? e : new RouterError(502, `${(e as Error).message}`);
      response = this.#errorResponse(err, server, req.version);
    }
    server.stats.finished(response.status, this.#o.now() - started);
    return response;
  }

  async #route(
    req: ReceivedRequest,
    server: ServerPolicy,
    signal: AbortSignal,
    started: number,
  ): Promise<ProxyResponse> {
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
    let status: number | undefined;
    try {
      const response = await this.#forward(req, id.path, local, server, signal, started);
      status = response.status;
      return response;
    } catch (e) {
      status = e instanceof RouterError ? e.status : undefined;
      throw e;
    } finally {
      service.finished(status, this.#o.now() - started);
    }
  }

  async #forward(
    req: ReceivedRequest,
    path: Path,
    local: Dtab,
    server: ServerPolicy,
    signal: AbortSignal,
    started: number,
  ): Promise<ProxyResponse> {
    const dtab = this.dtab.concat(local);
    const deadline = started + this.#o.bindingTimeoutMs;
    const binding = this.#bindings.get(dtab, path);
    if (!(await binding.ready(Math.max(0, deadline - this.#o.now())))) {
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
    if (!(await client.ready(Math.max(0, deadline - this.#o.now())))) {
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
    // We answered any `Expect: 100-continue` ourselves already; the upstream must not wait for it.
    headers.delete("expect");

    const stats = this.#clientStats.get(client);
    stats?.started();
    endpoint.load++;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        endpoint.load--;
      }
    };
    try {
      const res = await callUpstream(
        {
          ip: endpoint.ip,
          port: endpoint.port,
          agent: endpoint.agent,
          method: req.method,
          target: req.target,
          headers,
          body: req.body,
          contentLength: req.contentLength,
        },
        signal,
      );
      stats?.finished(res.status, this.#o.now() - started);
      res.body.once("close", release);
      const out = res.headers;
      stripHopByHop(out);
      appendVia(out, res.version);
      let body: Readable | null = res.body;
      if (server.clearContext && clearResponseContext(out).errPresent) {
        res.body.resume();
        body = null;
        out.delete("content-length");
        out.add("Content-Length", "0");
      }
      return { status: res.status, statusText: res.statusText, headers: out, body };
    } catch (e) {
      release();
      stats?.finished(
        undefined,
        this.#o.now() - started,
        e instanceof UpstreamError ? (e.code ?? "error") : "error",
      );
      if (e instanceof UpstreamError) throw upstreamFailed(endpoint.key, e.message, e.notSent);
      throw e;
    }
  }

  #errorResponse(err: RouterError, server: ServerPolicy, version: HttpVersion): ProxyResponse {
    return this.errorResponse(err, server.clearContext, version);
  }

  /** The response for an error answered by this router (or its servers), with its limits on error sizes. */
  errorResponse(err: RouterError, clearContext: boolean, version: HttpVersion): ProxyResponse {
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
