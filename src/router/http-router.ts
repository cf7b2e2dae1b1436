// The HTTP router: identifies a request, binds its name through the dtab, picks an endpoint and forwards it.

import type { Random } from "../balancer/random.ts";
import { rewriteAbsoluteForm } from "../http/absolute-form.ts";
import { takeDeadline } from "../http/ctx-deadline.ts";
import type { HeaderList } from "../http/header-list.ts";
import { stripHopByHop, stripRequestHopByHop } from "../http/hop-by-hop.ts";
import {
  appendVia,
  checkCallDepth,
  clearRequestContext,
  clearResponseContext,
  DtabHeaderError,
  L5dHeader,
  setDstBound,
  setDstService,
  takeLocalDtab,
  writeLocalDtab,
} from "../http/linkerd-headers.ts";
import type { HttpVersion, ProxyRequest } from "../http/message.ts";
import type { ExchangeRoute } from "../http1/exchange-route.ts";
import type { BoundName, Dtab, NameTree, Path } from "../naming/index.ts";
import type { Interpreter } from "../plugins.ts";
import type { MetricsScope } from "../telemetry/index.ts";
import { type Binding, BindingCache } from "./binding-cache.ts";
import { ClientCache } from "./client-cache.ts";
import { ClientMetrics } from "./client-metrics.ts";
import type { ErrorBody } from "./error-response.ts";
import { errorResponse } from "./error-response.ts";
import type { Identifier } from "./identifiers/index.ts";
import { Lru } from "./lru.ts";
import { pickLeaf } from "./pick-leaf.ts";
import {
  type ClientPolicy,
  DEFAULT_CLIENT_POLICY,
  DEFAULT_SERVICE_POLICY,
  type ServicePolicy,
} from "./policy.ts";
import { PolicyTable } from "./policy-table.ts";
import { ReplicaSet } from "./replica-set.ts";
import { Route, type RouteContext } from "./route.ts";
import {
  badRequest,
  bindingTimeout,
  noBrokers,
  RouterError,
  unidentified,
  upstreamFailed,
} from "./router-errors.ts";
import { Service } from "./service.ts";

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
  /** Milliseconds since the epoch, for `l5d-ctx-deadline` (default `Date.now`). */
  readonly wallNow?: () => number;
  readonly random: Random;
  /** `service` policy by logical name (Linkerd's io.l5d.global / io.l5d.static); defaults when left out. */
  readonly services?: PolicyTable<ServicePolicy>;
  /** `client` policy by bound id. */
  readonly clientPolicies?: PolicyTable<ClientPolicy>;
}

/** What the server a request came in on asks of the router. */
export interface ServerPolicy {
  readonly clearContext: boolean;
  readonly maxCallDepth: number;
  readonly timestampHeader: string | undefined;
}

/** What routing needs of a request: its head (rewritten in place) and whether a body follows. */
export type RouteRequest = Pick<ProxyRequest, "method" | "target" | "version" | "headers">;

/** A router as the admin server sees it. */
export interface RouterView {
  readonly label: string;
  readonly dtab: Dtab;
  readonly interpreter: Interpreter;
  clients(): IterableIterator<ReplicaSet>;
}

/** A request being routed, as the steps of picking its endpoint need it. */
interface Picking {
  readonly req: RouteRequest;
  /** Its logical name. */
  readonly path: Path;
  /** Its own dtab (from `l5d-ctx-dtab` and `l5d-dtab`). */
  readonly local: Dtab;
  readonly server: ServerPolicy;
  readonly started: number;
  readonly service: Service;
  /** When its own deadline passes (`l5d-ctx-deadline`), on the router's clock; Infinity when it has none. */
  readonly expires: number;
}

export class HttpRouter implements RouterView {
  readonly label: string;
  readonly dtab: Dtab;
  readonly interpreter: Interpreter;
  readonly #o: HttpRouterOptions;
  readonly #bindings: BindingCache;
  readonly #clients: ClientCache;
  readonly #services: Lru<Service>;
  readonly #servicePolicies: PolicyTable<ServicePolicy>;
  readonly #clientPolicies: PolicyTable<ClientPolicy>;
  readonly #ctx: RouteContext;

  constructor(options: HttpRouterOptions) {
    this.#o = options;
    this.label = options.label;
    this.dtab = options.dtab;
    this.interpreter = options.interpreter;
    const m = options.metrics;
    this.#bindings = new BindingCache({
      bind: (local, path) =>
        options.interpreter.bind(local.isEmpty ? options.dtab : options.dtab.concat(local), path),
      max: options.cache.paths,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
    });
    this.#servicePolicies = options.services ?? new PolicyTable([], DEFAULT_SERVICE_POLICY);
    this.#clientPolicies = options.clientPolicies ?? new PolicyTable([], DEFAULT_CLIENT_POLICY);
    this.#clients = new ClientCache({
      max: options.cache.clients,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
      create: (bound) => this.#newClient(bound),
      onEvict: (c) => c.metrics.scope.remove(),
    });
    this.#services = new Lru<Service>({
      max: options.cache.paths,
      idleTtlMs: options.cache.idleTtlMs,
      now: options.now,
      onEvict: (_k, s) => s.stats.scope.remove(),
    });
    this.#ctx = {
      now: options.now,
      wallNow: options.wallNow ?? Date.now,
      random: options.random,
      dtab: options.dtab,
      client: (bound) => this.#clients.get(bound),
    };
    m.gauge(["bindcache", "path", "size"], () => this.#bindings.size);
    m.gauge(["bindcache", "path", "misses"], () => this.#bindings.misses);
    m.gauge(["bindcache", "path", "evicts"], () => this.#bindings.evictions);
    m.gauge(["bindcache", "client", "size"], () => this.#clients.size);
    m.gauge(["bindcache", "client", "evicts"], () => this.#clients.evictions);
  }

  clients(): IterableIterator<ReplicaSet> {
    return this.#clients.clients();
  }

  /** A client for a bound id, with the `client` policy that matches it and its metrics. */
  #newClient(bound: BoundName): ReplicaSet {
    const o = this.#o;
    const metrics = new ClientMetrics(o.metrics.scope(["client", bound.id.show.slice(1)]));
    const client = new ReplicaSet(bound, {
      random: o.random,
      now: o.now,
      policy: this.#clientPolicies.resolve(bound.id),
      metrics,
    });
    metrics.watch(client, o.now);
    return client;
  }

  #service(path: Path): Service {
    const key = path.show;
    return this.#services.getOrCreate(
      key,
      () =>
        new Service(
          path,
          this.#servicePolicies.resolve(path),
          this.#o.metrics.scope(["service", key.slice(1)]),
          this.#o.now,
        ),
    ).value;
  }

  /**
   * Routes one request: checks and rewrites its head, identifies it, binds its name and picks an endpoint.
   * Throws a RouterError for anything the proxy answers itself. The caller runs the exchange (and its retries)
   * through the Route.
   */
  route(req: RouteRequest, server: ServerPolicy, started: number): ExchangeRoute | Promise<ExchangeRoute> {
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
    const wallDeadline = takeDeadline(headers);
    const id = this.#o.identifier.identify(req);
    if (id.kind === "unidentified") throw unidentified(id.reason);
    if (id.target !== undefined) req.target = id.target;

    const service = this.#service(id.path);
    service.stats.started();
    try {
      // The request's own deadline, on our clock: one already passed is answered without an upstream call.
      let deadline = Number.POSITIVE_INFINITY;
      if (wallDeadline !== undefined) {
        const left = wallDeadline - this.#ctx.wallNow();
        if (left <= 0) {
          service.deadlineRejected.incr();
          throw new RouterError(
            503,
            `the request's deadline (l5d-ctx-deadline) passed ${Math.round(-left)} ms before it arrived`,
          );
        }
        deadline = started + left;
      }
      const route = this.#pick({ req, path: id.path, local, server, started, service, expires: deadline });
      if (route instanceof Promise) return route.catch((e) => this.#failed(service, e, started));
      return route;
    } catch (e) {
      return this.#failed(service, e, started);
    }
  }

  #failed(service: Service, e: unknown, started: number): never {
    service.stats.finished(e instanceof RouterError ? e.status : undefined, this.#o.now() - started);
    throw e;
  }

  /**
   * Binds the name and picks an endpoint: at once when the binding and the addresses are known (as they are once
   * a name has been used), through a Promise only when it has to wait for them.
   */
  #pick(p: Picking): Route | Promise<Route> {
    const binding = this.#bindings.get(p.local, p.path, p.started);
    if (binding.state.kind === "pending") return this.#pickWhenBound(binding, p);
    return this.#pickBound(binding, p);
  }

  /** The rest of `#pick` once the binding is settled: a leaf, its client, and an endpoint of it. */
  #pickBound(binding: Binding, p: Picking): Route | Promise<Route> {
    const tree = this.#tree(binding, p.path);
    const bound = this.#leaf(tree, p.path, p.local);
    const client = this.#clients.get(bound);
    if (client.addr.kind === "pending") return this.#pickWhenAddressed(client, tree, bound, p);
    return this.#routeTo(client, tree, bound, p);
  }

  /** How long binding may still wait: no longer than bindingTimeoutMs, nor past the request's own limits. */
  #waitLeft(p: Picking): number {
    const total = p.service.policy.totalTimeoutMs;
    const deadline = Math.min(
      p.started + this.#o.bindingTimeoutMs,
      p.expires,
      total === undefined ? Number.POSITIVE_INFINITY : p.started + total,
    );
    return Math.max(0, deadline - this.#o.now());
  }

  async #pickWhenBound(binding: Binding, p: Picking): Promise<Route> {
    if (!(await binding.ready(this.#waitLeft(p))))
      throw bindingTimeout(p.path.show, this.#o.bindingTimeoutMs);
    return this.#pickBound(binding, p);
  }

  async #pickWhenAddressed(
    client: ReplicaSet,
    tree: NameTree<BoundName>,
    bound: BoundName,
    p: Picking,
  ): Promise<Route> {
    if (!(await client.ready(this.#waitLeft(p)))) throw bindingTimeout(p.path.show, this.#o.bindingTimeoutMs);
    return this.#routeTo(client, tree, bound, p);
  }

  /** The bound tree of a settled binding, or the RouterError saying why there is none. */
  #tree(binding: Binding, path: Path): NameTree<BoundName> {
    const state = binding.state;
    if (state.kind === "failed")
      throw new RouterError(502, `binding ${path.show} failed: ${state.error.message}`);
    if (state.kind === "pending") throw bindingTimeout(path.show, this.#o.bindingTimeoutMs);
    return state.value;
  }

  /** One leaf of the tree, picked by weight, or the RouterError saying why there is none. */
  #leaf(tree: NameTree<BoundName>, path: Path, local: Dtab): BoundName {
    const leaf = pickLeaf(tree, this.#o.random);
    if (leaf.kind === "none") throw noBrokers(path.show, this.dtab, local, leaf.why);
    return leaf.bound;
  }

  /** Picks an endpoint of the client and writes the request's Linkerd headers for it. */
  #routeTo(client: ReplicaSet, tree: NameTree<BoundName>, bound: BoundName, p: Picking): Route {
    const pick = client.pick(this.#o.now());
    if (pick.kind === "pending") throw bindingTimeout(p.path.show, this.#o.bindingTimeoutMs);
    if (pick.kind === "none") throw noBrokers(bound.id.show, this.dtab, p.local, pick.why);
    const req = p.req;
    const headers = req.headers;
    writeLocalDtab(headers, p.local);
    appendVia(headers, req.version);
    setDstService(headers, p.path);
    setDstBound(headers, bound.id, bound.residual);
    if (p.server.timestampHeader !== undefined) headers.set(p.server.timestampHeader, String(Date.now()));
    // Any `Expect: 100-continue` is answered by the proxy itself; the upstream must not wait for it.
    headers.delete("expect");

    return new Route({
      ctx: this.#ctx,
      service: p.service,
      method: req.method,
      tree,
      local: p.local,
      client,
      endpoint: pick.endpoint,
      headers,
      started: p.started,
      deadline: p.expires,
    });
  }

  /**
   * Rewrites an upstream response's head for the client: hop-by-hop headers out, Via in, and under clearContext
   * every `l5d-*` header out. Returns true when the body must be dropped (an `l5d-err` body under clearContext).
   */
  responseHeaders(
    headers: HeaderList,
    version: HttpVersion,
    clearContext: boolean,
    route: ExchangeRoute,
  ): boolean {
    stripHopByHop(headers);
    appendVia(headers, version);
    if (clearContext) return clearResponseContext(headers).errPresent;
    // The service's classification of the answer, as Linkerd writes it (replacing an upstream Linkerd's).
    if (route.successClass !== undefined) headers.set(L5dHeader.successClass, route.successClass);
    return false;
  }

  /** The error for an upstream exchange that failed before its answer. */
  upstreamError(endpoint: { key: string }, failure: Error & { notSent?: boolean }): RouterError {
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
