// The explicit list of built-in plugin kinds, by category, each with its config keys and how it is built.

import { resolve as resolvePath } from "node:path";
import * as v from "valibot";
import type { BalancerFactory } from "./balancer/kinds.ts";
import * as balancers from "./balancer/kinds.ts";
import { notYet, socketOptions } from "./config/linker-schema.ts";
import { backoffSchema, num } from "./config/policy-schema.ts";
import { PluginCategory, pluginKind } from "./config/registry.ts";
import {
  bool,
  dtab,
  headerName,
  host,
  int,
  nonEmptyStr,
  path,
  port,
  prefixPath,
  str,
} from "./config/schema-kit.ts";
import {
  DEFAULT_RETRY,
  FS_INTERPRETER_KIND,
  fsDtabInterpreter,
  type InterpreterAdmin,
  NAMERD_HTTP_KIND,
  NAMERD_THRIFT_KIND,
  namerdHttpInterpreter,
  namerdThriftInterpreter,
} from "./interpreters/index.ts";
import type { AccrualFactory } from "./liveness/kinds.ts";
import * as accruals from "./liveness/kinds.ts";
import type { DtabStore, InterfaceContext, NamerdInterface } from "./namerd/core.ts";
import { HTTP_CONTROLLER_KIND, HttpController } from "./namerd/iface/http/http-controller.ts";
import {
  THRIFT_INTERFACE_KIND,
  ThriftNameInterpreterInterface,
} from "./namerd/iface/thrift/thrift-interface.ts";
import { DURABLE_STORE_KIND, DurableDtabStore } from "./namerd/stores/durable-store.ts";
import { InMemoryDtabStore } from "./namerd/stores/in-memory-store.ts";
import { ZkDtabStore } from "./namerd/stores/zk-store.ts";
import { nodeDnsClient, parseDnsHost } from "./namers/dnssrv/dns-client.ts";
import { DnsSrvNamer } from "./namers/dnssrv/dnssrv-namer.ts";
import { FsNamer } from "./namers/fs/fs-namer.ts";
import { type HostLookup, systemLookup } from "./namers/inet/resolver.ts";
import { PathTemplate, RewriteConfigError, readRewritePattern } from "./namers/rewrite/path-template.ts";
import { RewriteNamer } from "./namers/rewrite/rewrite-namer.ts";
import { ServersetsNamer } from "./namers/serversets/serversets-namer.ts";
import type {
  Activity,
  BoundName,
  Delegator,
  MountedNamer,
  NameInterpreter,
  Namer,
  NameTree,
  NameTreeTransformer,
  Path,
  Timers,
} from "./naming/index.ts";
import { CONFIGURED_NAMER_PREFIX, ConfiguredNamersInterpreter } from "./naming/index.ts";
import type { Announcer } from "./registry/announcer.ts";
import { ServersetsAnnouncer } from "./registry/serversets-announcer.ts";
import { type BackoffConfig, backoffOf } from "./retry/backoff.ts";
import type { ResponseClassifier } from "./retry/response-classifier.ts";
import * as classifiers from "./retry/response-classifier.ts";
import {
  headerPathKind,
  headerTokenKind,
  type Identifier,
  methodAndHostKind,
  pathKind,
  staticKind,
} from "./router/identifiers/index.ts";
import type { MetricsScope } from "./telemetry/index.ts";
import {
  constTransformer,
  type LocalIps,
  localhostTransformer,
  portTransformer,
  replaceTransformer,
  specificHostTransformer,
  transformedInterpreter,
  transformedNamer,
} from "./transformers/index.ts";

export interface IdentifierContext {
  readonly dstPrefix: Path;
}

export const identifierKinds = new PluginCategory<Identifier, IdentifierContext>("identifier", [
  pluginKind({
    kind: headerTokenKind.kind,
    entries: { header: v.optional(headerName(), "Host") },
    make: (c, ctx: IdentifierContext) => headerTokenKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: methodAndHostKind.kind,
    entries: { httpUriInDst: v.optional(bool(), false) },
    make: (c, ctx: IdentifierContext) => methodAndHostKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: pathKind.kind,
    entries: { segments: v.optional(int(1, 1000), 1), consume: v.optional(bool(), false) },
    make: (c, ctx: IdentifierContext) => pathKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: headerPathKind.kind,
    entries: { header: v.optional(headerName(), "l5d-name") },
    make: (c, ctx: IdentifierContext) => headerPathKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: staticKind.kind,
    entries: { path: path() },
    make: (c, ctx: IdentifierContext) => staticKind.make(c, ctx.dstPrefix),
  }),
]);

export interface TransformerContext {
  /** Binds a path with an empty dtab through the global namers (for `io.l5d.replace` and `io.l5d.const`). */
  readonly bind: (path: Path) => Activity<NameTree<BoundName>>;
  readonly lookup?: HostLookup;
  readonly localIps?: LocalIps;
}

const transformerPrefix = { prefix: v.optional(prefixPath()) };

export const transformerKinds = new PluginCategory<NameTreeTransformer, TransformerContext>("transformer", [
  pluginKind({
    kind: "io.l5d.port",
    entries: { port: port(), ...transformerPrefix },
    make: (c, _ctx: TransformerContext) => portTransformer(c),
  }),
  pluginKind({
    kind: "io.l5d.localhost",
    entries: { ...transformerPrefix },
    make: (c, ctx: TransformerContext) => localhostTransformer(c, { localIps: ctx.localIps }),
  }),
  pluginKind({
    kind: "io.l5d.specificHost",
    entries: { host: host(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => specificHostTransformer(c, { lookup: ctx.lookup }),
  }),
  pluginKind({
    kind: "io.l5d.replace",
    entries: { path: path(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => replaceTransformer(c, { bind: ctx.bind }),
  }),
  pluginKind({
    kind: "io.l5d.const",
    entries: { path: path(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => constTransformer(c, { bind: ctx.bind }),
  }),
]);

function transformersOf(
  configs: readonly { kind: string }[],
  ctx: TransformerContext,
): NameTreeTransformer[] {
  return configs.map((c) => transformerKinds.make(c, ctx));
}

/** A namer kind builds a namer (mounted at `/#/<prefix>`) from its config. */
export interface NamerContext {
  readonly lookup?: HostLookup;
  readonly transformers: TransformerContext;
  /** Where namers put their metrics (Linkerd's `namer/` scope); each uses `<its prefix>/...` below it. */
  readonly metrics?: MetricsScope;
}

/** A configured namer, where it is mounted, and what the admin server can show of it. */
export interface MountedConfiguredNamer {
  readonly prefix: Path;
  readonly namer: Namer;
  /** The configured prefix without `/#`, as in `/namer_state/io.l5d.fs.json`. */
  readonly label: string;
  /** Names it knows of (enumerating namers), for `/bound-names.json`. */
  boundNames?(): Path[];
  /** Its internal state, for `/namer_state/<label>.json`. */
  state?(): unknown;
  close?(): void | Promise<void>;
}

/** `zkAddrs`: ZooKeeper servers, `{host, port}` (port 2181 by default); several for an ensemble. */
function zkAddrsSchema() {
  return v.pipe(
    v.array(v.strictObject({ host: host(), port: v.optional(int(1, 65535), 2181) })),
    v.minLength(1, "expected at least one ZooKeeper address"),
  );
}

const namerCommon = {
  transformers: v.optional(v.array(transformerKinds.schema()), []),
};

export const namerKinds = new PluginCategory<MountedConfiguredNamer, NamerContext>("namer", [
  pluginKind({
    kind: "io.l5d.fs",
    entries: { rootDir: nonEmptyStr(), prefix: v.optional(prefixPath(), "/io.l5d.fs"), ...namerCommon },
    make: (c, ctx: NamerContext) => {
      const prefix = CONFIGURED_NAMER_PREFIX.concat(c.prefix);
      const fs = new FsNamer(c.rootDir, prefix, { lookup: ctx.lookup });
      return {
        prefix,
        label: c.prefix.show.slice(1),
        namer: transformedNamer(fs, transformersOf(c.transformers, ctx.transformers)),
        boundNames: () => fs.boundNames(),
        state: () => fs.state(),
        close: () => fs.close(),
      };
    },
  }),
  pluginKind({
    kind: "io.l5d.serversets",
    entries: {
      zkAddrs: zkAddrsSchema(),
      prefix: v.optional(prefixPath(), "/io.l5d.serversets"),
      ...namerCommon,
    },
    make: (c, ctx: NamerContext) => {
      const prefix = CONFIGURED_NAMER_PREFIX.concat(c.prefix);
      const label = c.prefix.show.slice(1);
      const serversets = new ServersetsNamer(c.zkAddrs, prefix, {
        lookup: ctx.lookup,
        metrics: ctx.metrics?.scope([label, "zk"]),
      });
      return {
        prefix,
        label,
        namer: transformedNamer(serversets, transformersOf(c.transformers, ctx.transformers)),
        state: () => serversets.state(),
        close: () => serversets.close(),
      };
    },
  }),
  pluginKind({
    kind: "io.l5d.dnssrv",
    experimental: true,
    entries: {
      refreshIntervalSeconds: v.optional(int(1, 86_400), 5),
      dnsHosts: v.optional(
        v.array(
          v.pipe(
            str(),
            v.check(
              (h) => parseDnsHost(h) !== undefined,
              (i) => `expected host, host:port or [ipv6]:port, got ${JSON.stringify(i.input)}`,
            ),
          ),
        ),
        [],
      ),
      prefix: v.optional(prefixPath(), "/io.l5d.dnssrv"),
      ...namerCommon,
    },
    make: (c, ctx: NamerContext) => {
      const prefix = CONFIGURED_NAMER_PREFIX.concat(c.prefix);
      const label = c.prefix.show.slice(1);
      const dnssrv = new DnsSrvNamer(prefix, {
        client: nodeDnsClient(c.dnsHosts, ctx.lookup ?? systemLookup),
        refreshMs: c.refreshIntervalSeconds * 1000,
        metrics: ctx.metrics?.scope([label, "dnssrv"]),
      });
      return {
        prefix,
        label,
        namer: transformedNamer(dnssrv, transformersOf(c.transformers, ctx.transformers)),
        state: () => dnssrv.state(),
      };
    },
  }),
  pluginKind({
    kind: "io.l5d.rewrite",
    entries: { prefix: prefixPath(), pattern: nonEmptyStr(), name: nonEmptyStr(), ...namerCommon },
    validate: (c) => rewriteProblems(c.pattern, c.name),
    make: (c, ctx: NamerContext) => ({
      prefix: CONFIGURED_NAMER_PREFIX.concat(c.prefix),
      label: c.prefix.show.slice(1),
      namer: transformedNamer(
        new RewriteNamer(c.pattern, c.name),
        transformersOf(c.transformers, ctx.transformers),
      ),
    }),
  }),
]);

/** What is wrong with an io.l5d.rewrite `pattern` and `name`, each at its key. */
function rewriteProblems(pattern: string, name: string): { key: string; message: string }[] {
  try {
    readRewritePattern(pattern);
  } catch (e) {
    if (e instanceof RewriteConfigError) return [{ key: "pattern", message: e.message }];
    throw e;
  }
  try {
    new PathTemplate(name, pattern);
  } catch (e) {
    if (e instanceof RewriteConfigError) return [{ key: "name", message: e.message }];
    throw e;
  }
  return [];
}

export interface InterpreterContext {
  readonly namers: readonly MountedNamer[];
  readonly global: Namer;
  readonly transformers: TransformerContext;
}

/** An interpreter; namerd's and the file one also show their state on the admin server and hold resources to close. */
export type Interpreter = NameInterpreter & Delegator & { readonly admin?: InterpreterAdmin; close?(): void };

const interpreterTransformers = { transformers: v.optional(v.array(transformerKinds.schema()), []) };

/** Linkerd's `retry` of the namerd interpreters: both keys, whole seconds, base at most max. */
const namerdRetry = v.optional(
  v.pipe(
    v.strictObject({ baseSeconds: int(1), maxSeconds: int(1) }),
    v.check((r) => r.baseSeconds <= r.maxSeconds, "baseSeconds must not exceed maxSeconds"),
  ),
  DEFAULT_RETRY,
);

const namerdCommon = {
  dst: path(),
  namespace: v.optional(nonEmptyStr(), "default"),
  retry: namerdRetry,
  tls: notYet("interpreter.tls"),
  ...interpreterTransformers,
};

function interpreterDeps(ctx: InterpreterContext, transformers: readonly { kind: string }[]) {
  return {
    namers: ctx.namers,
    global: ctx.global,
    transformers: transformersOf(transformers, ctx.transformers),
  };
}

export const interpreterKinds = new PluginCategory<Interpreter, InterpreterContext>("interpreter", [
  pluginKind({
    kind: "default",
    entries: { ...interpreterTransformers },
    make: (c, ctx: InterpreterContext) =>
      transformedInterpreter(
        new ConfiguredNamersInterpreter(ctx.namers, ctx.global),
        transformersOf(c.transformers, ctx.transformers),
      ),
  }),
  pluginKind({
    kind: NAMERD_THRIFT_KIND,
    entries: {
      ...namerdCommon,
      failureThreshold: v.optional(
        v.strictObject({
          minPeriodMs: v.optional(int(1), 5000),
          closeTimeoutMs: v.optional(int(1), 4000),
        }),
        {},
      ),
    },
    make: (c, ctx: InterpreterContext) =>
      namerdThriftInterpreter(
        {
          dst: c.dst,
          namespace: c.namespace,
          retry: c.retry,
          failureThreshold: {
            minPeriodMs: c.failureThreshold.minPeriodMs ?? 5000,
            closeTimeoutMs: c.failureThreshold.closeTimeoutMs ?? 4000,
          },
        },
        interpreterDeps(ctx, c.transformers),
      ),
  }),
  pluginKind({
    kind: NAMERD_HTTP_KIND,
    experimental: true,
    entries: { ...namerdCommon },
    make: (c, ctx: InterpreterContext) =>
      namerdHttpInterpreter(
        { dst: c.dst, namespace: c.namespace, retry: c.retry },
        interpreterDeps(ctx, c.transformers),
      ),
  }),
  pluginKind({
    kind: FS_INTERPRETER_KIND,
    entries: { dtabFile: nonEmptyStr(), ...interpreterTransformers },
    make: (c, ctx: InterpreterContext) =>
      fsDtabInterpreter({ dtabFile: c.dtabFile }, interpreterDeps(ctx, c.transformers)),
  }),
]);

/** A page rendered piece by piece: its status, content type and body chunks. */
export interface StreamedPage {
  readonly status: number;
  readonly contentType: string;
  readonly chunks: Iterable<string>;
}

/** What a telemeter adds to the admin server: pages at paths. */
export interface Telemeter {
  readonly adminPages: ReadonlyMap<string, () => StreamedPage>;
}

export interface TelemeterContext {
  readonly prometheus: (prefix: string | undefined) => StreamedPage;
}

export const telemeterKinds = new PluginCategory<Telemeter, TelemeterContext>("telemeter", [
  pluginKind({
    kind: "io.l5d.prometheus",
    entries: {
      path: v.optional(
        v.pipe(
          str(),
          v.check((p) => p.startsWith("/"), "expected a path starting with /"),
        ),
        "/admin/metrics/prometheus",
      ),
      prefix: v.optional(str()),
    },
    make: (c, ctx: TelemeterContext) => ({
      adminPages: new Map([[c.path, () => ctx.prometheus(c.prefix)]]),
    }),
  }),
]);

/** What a namerd storage kind is given besides its config. */
export interface StorageContext {
  /** The directory relative paths in the config are resolved against (the config file's). */
  readonly configDir: string;
}

/** namerd's `storage` kinds: where namespaces' dtabs live. */
export const storageKinds = new PluginCategory<DtabStore, StorageContext>("storage", [
  pluginKind({
    kind: "io.l5d.inMemory",
    entries: { namespaces: v.optional(v.record(str(), dtab()), {}) },
    make: (c, _ctx: StorageContext) => new InMemoryDtabStore(new Map(Object.entries(c.namespaces))),
  }),
  pluginKind({
    kind: "io.l5d.zk",
    entries: {
      zkAddrs: v.pipe(
        v.array(v.strictObject({ host: host(), port: v.optional(int(1, 65535), 2181) })),
        v.minLength(1, "expected at least one ZooKeeper address"),
      ),
      pathPrefix: v.optional(
        v.pipe(
          str(),
          v.check((p) => /^\/[^\0]*$/.test(p) && !p.includes("//"), "expected a znode path such as /dtabs"),
        ),
        "/dtabs",
      ),
      sessionTimeoutMs: v.optional(int(1), 10_000),
      authInfo: v.optional(v.strictObject({ scheme: nonEmptyStr(), auth: str() })),
      acls: v.optional(
        v.array(
          v.strictObject({
            scheme: nonEmptyStr(),
            id: str(),
            perms: v.pipe(
              str(),
              v.check(
                (p) => /^[crwda]+$/.test(p) && new Set(p).size === p.length,
                "expected permissions from c r w d a, each at most once",
              ),
            ),
          }),
        ),
      ),
    },
    make: (c, _ctx: StorageContext) => new ZkDtabStore(c),
  }),
  pluginKind({
    kind: DURABLE_STORE_KIND,
    /** `dir`: the data directory (relative to the config file's directory); one namerd at a time uses it. */
    entries: { dir: v.optional(nonEmptyStr(), "namerd-data") },
    make: (c, ctx: StorageContext) => new DurableDtabStore(resolvePath(ctx.configDir, c.dir)),
  }),
]);

/** namerd's `interfaces` kinds: the listeners that serve dtabs and bindings to proxies and people. */
export const interfaceKinds = new PluginCategory<NamerdInterface, InterfaceContext>("interface", [
  pluginKind({
    kind: HTTP_CONTROLLER_KIND,
    entries: {
      ip: v.optional(host(), "127.0.0.1"),
      port: v.optional(port(), 4180),
      socketOptions: v.optional(socketOptions),
      /** Beyond namerd: when set, writes need `Authorization: Bearer <writeToken>` (else 401). */
      writeToken: v.optional(nonEmptyStr()),
      tls: notYet("interfaces[].tls"),
    },
    make: (c, ctx: InterfaceContext) =>
      new HttpController({
        config: { ip: c.ip, port: c.port, writeToken: c.writeToken },
        core: ctx.core,
        metrics: ctx.metrics,
      }),
  }),
  pluginKind({
    kind: THRIFT_INTERFACE_KIND,
    entries: {
      ip: v.optional(host(), "127.0.0.1"),
      port: v.optional(port(), 4100),
      socketOptions: v.optional(socketOptions),
      tls: notYet("interfaces[].tls"),
      cache: v.optional(
        v.strictObject({
          bindingCacheActive: v.optional(int(1), 1000),
          bindingCacheInactive: v.optional(int(0), 100),
          bindingCacheInactiveTTLSecs: v.optional(int(0), 600),
          addrCacheActive: v.optional(int(1), 1000),
          addrCacheInactive: v.optional(int(0), 100),
          addrCacheInactiveTTLSecs: v.optional(int(0), 600),
        }),
        {},
      ),
    },
    make: (c, ctx: InterfaceContext) =>
      new ThriftNameInterpreterInterface({
        ip: c.ip,
        port: c.port,
        cache: c.cache,
        core: ctx.core,
        metrics: ctx.metrics,
      }),
  }),
]);

export interface AnnouncerContext {
  readonly timers?: Timers;
}

/** Announcer kinds: each registers servers' addresses under the names in their `announce` lists. */
export const announcerKinds = new PluginCategory<Announcer, AnnouncerContext>("announcer", [
  pluginKind({
    kind: "io.l5d.serversets",
    entries: {
      zkAddrs: zkAddrsSchema(),
      pathPrefix: v.optional(path(), "/discovery"),
      prefix: v.optional(prefixPath(), "/io.l5d.serversets"),
      // Trellis: the ZooKeeper session timeout, and how long to keep serving once unannounced on shutdown.
      sessionTimeoutMs: v.optional(int(1, 3_600_000), 10_000),
      unannounceDelayMs: v.optional(int(0, 3_600_000), 1000),
    },
    make: (c, ctx: AnnouncerContext) =>
      new ServersetsAnnouncer({
        zkAddrs: c.zkAddrs,
        pathPrefix: c.pathPrefix,
        prefix: CONFIGURED_NAMER_PREFIX.concat(c.prefix),
        sessionTimeoutMs: c.sessionTimeoutMs,
        unannounceDelayMs: c.unannounceDelayMs,
        timers: ctx.timers,
      }),
  }),
]);

/** Every category, for the config schemas. */
/** Every balancer takes `enableProbation`; only `false` (Linkerd's default) is supported. */
const probation = {
  enableProbation: v.optional(
    v.pipe(
      bool(),
      v.check((b) => !b, "enableProbation: true is not supported by trellis yet"),
    ),
  ),
};

function accrualBackoff(config: BackoffConfig | undefined) {
  return config === undefined ? accruals.DEFAULT_ACCRUAL_BACKOFF : backoffOf(config);
}

/** `client.loadBalancer`: Linkerd's balancer kinds and their parameters (defaults as Finagle's). */
export const loadBalancerKinds = new PluginCategory<BalancerFactory, void>("load balancer", [
  pluginKind({
    kind: "p2c",
    entries: { maxEffort: v.optional(int(0, 100)), ...probation },
    make: (c) => balancers.p2c(c),
  }),
  pluginKind({
    kind: "ewma",
    entries: { maxEffort: v.optional(int(0, 100)), decayTimeMs: v.optional(int(1)), ...probation },
    make: (c) => balancers.ewma(c),
  }),
  pluginKind({
    kind: "aperture",
    entries: {
      maxEffort: v.optional(int(0, 100)),
      smoothWindowMs: v.optional(int(1)),
      lowLoad: v.optional(num(0, 1e6)),
      highLoad: v.optional(num(0, 1e6)),
      minAperture: v.optional(int(1)),
      ...probation,
    },
    make: (c) => balancers.aperture(c),
  }),
  pluginKind({ kind: "heap", entries: { ...probation }, make: () => balancers.heap() }),
  pluginKind({
    kind: "roundRobin",
    entries: { maxEffort: v.optional(int(0, 100)), ...probation },
    make: (c) => balancers.roundRobin(c),
  }),
]);

/** `client.failureAccrual`: when an endpoint is marked dead, and how long it stays out (`backoff`). */
export const failureAccrualKinds = new PluginCategory<AccrualFactory, void>("failure accrual", [
  pluginKind({
    kind: "io.l5d.consecutiveFailures",
    entries: { failures: int(1), backoff: v.optional(backoffSchema()) },
    make: (c) => accruals.consecutiveFailures(c.failures, accrualBackoff(c.backoff)),
  }),
  pluginKind({
    kind: "io.l5d.successRate",
    entries: { successRate: num(0, 1), requests: int(1), backoff: v.optional(backoffSchema()) },
    make: (c) => accruals.successRate(c.successRate, c.requests, accrualBackoff(c.backoff)),
  }),
  pluginKind({
    kind: "io.l5d.successRateWindowed",
    entries: { successRate: num(0, 1), window: int(1), backoff: v.optional(backoffSchema()) },
    make: (c) => accruals.successRateWindowed(c.successRate, c.window, accrualBackoff(c.backoff)),
  }),
  pluginKind({ kind: "none", entries: {}, make: () => accruals.noAccrual }),
]);

/** `service.responseClassifier`: Linkerd's HTTP classifiers. */
export const responseClassifierKinds = new PluginCategory<ResponseClassifier, void>("response classifier", [
  ...[
    classifiers.nonRetryable5XX,
    classifiers.retryableRead5XX,
    classifiers.retryableIdempotent5XX,
    classifiers.retryableAll5XX,
    classifiers.allSuccessful,
  ].map((c) => pluginKind({ kind: c.kind, entries: {}, make: () => c })),
]);

export const linkerPlugins = {
  identifiers: identifierKinds,
  namers: namerKinds,
  transformers: transformerKinds,
  interpreters: interpreterKinds,
  telemeters: telemeterKinds,
  announcers: announcerKinds,
  loadBalancers: loadBalancerKinds,
  failureAccruals: failureAccrualKinds,
  responseClassifiers: responseClassifierKinds,
};
