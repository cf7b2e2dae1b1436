// The schema of a proxy (linker) config file: Linkerd 1.x's keys and defaults, with plugin kinds from the registry.

import * as v from "valibot";
import { healthCheckSchema } from "./health-check-schema.ts";
import { clientSchema, serviceSchema } from "./policy-schema.ts";
import type { PluginCategory, PluginConfig } from "./registry.ts";
import {
  bool,
  dtab,
  duration,
  headerName,
  host,
  int,
  nonEmptyStr,
  path,
  port,
  regex,
  str,
} from "./schema-kit.ts";

/** The categories of plugin kinds a linker config refers to. */
export interface LinkerPluginCategories {
  readonly identifiers: PluginCategory<unknown, never>;
  readonly namers: PluginCategory<unknown, never>;
  readonly transformers: PluginCategory<unknown, never>;
  readonly interpreters: PluginCategory<unknown, never>;
  readonly telemeters: PluginCategory<unknown, never>;
  readonly announcers: PluginCategory<unknown, never>;
  readonly loadBalancers: PluginCategory<unknown, never>;
  readonly failureAccruals: PluginCategory<unknown, never>;
  readonly responseClassifiers: PluginCategory<unknown, never>;
}

/** A key Linkerd has and Trellis does not implement yet: refused with that reason instead of "unknown key". */
export function notYet(what: string) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.check(() => false, `${what} is not supported by trellis yet`),
    ),
  );
}

/** One object or a list of them, always a list once parsed (as Linkerd's `identifier`). */
function oneOrMany<T>(item: v.GenericSchema<unknown, T>) {
  return v.lazy((input: unknown) =>
    Array.isArray(input)
      ? v.pipe(v.array(item), v.minLength(1, "expected at least one entry"))
      : v.pipe(
          item,
          v.transform((x): T[] => [x]),
        ),
  ) as unknown as v.GenericSchema<unknown, T[]>;
}

/** Linkerd's `socketOptions` (admin, servers, namerd interfaces). */
export const socketOptions = v.strictObject({
  noDelay: v.optional(bool(), true),
  reuseAddr: v.optional(bool(), true),
  reusePort: v.optional(bool(), false),
  keepAlive: v.optional(bool(), false),
  backlog: v.optional(int(1, 65535)),
  readTimeoutMs: v.optional(duration()),
  writeTimeoutMs: v.optional(duration()),
});

const adminSecurity = v.strictObject({
  uiEnabled: v.optional(bool(), true),
  controlEnabled: v.optional(bool(), true),
  diagnosticsEnabled: v.optional(bool(), true),
  pathWhitelist: v.optional(v.array(regex()), []),
  pathBlacklist: v.optional(v.array(regex()), []),
});

/** The `admin` block; the proxy's port is 9990, namerd's 9991. */
export function adminSchema(defaultPort: number) {
  return v.optional(
    v.strictObject({
      ip: v.optional(host(), "127.0.0.1"),
      port: v.optional(port(), defaultPort),
      socketOptions: v.optional(socketOptions),
      shutdownGraceMs: v.optional(duration(), 10000),
      workerThreads: v.optional(int(1, 1024)),
      httpIdentifierPort: notYet("admin.httpIdentifierPort"),
      security: v.optional(adminSecurity),
      tls: notYet("admin.tls"),
    }),
    {},
  );
}

const serverSession = v.strictObject({
  idleTimeMs: v.optional(duration()),
  lifeTimeMs: v.optional(duration()),
});

const server = v.strictObject({
  port: v.optional(port(), 4140),
  ip: v.optional(host(), "127.0.0.1"),
  label: v.optional(nonEmptyStr()),
  socketOptions: v.optional(socketOptions),
  maxConcurrentRequests: v.optional(int(1)),
  announce: v.optional(v.array(path()), []),
  healthCheck: v.optional(healthCheckSchema()),
  clearContext: v.optional(bool(), false),
  timeoutMs: v.optional(duration()),
  serverSession: v.optional(serverSession),
  maxCallDepth: v.optional(int(1), 1000),
  timestampHeader: v.optional(headerName()),
  addForwardedHeader: notYet("servers[].addForwardedHeader"),
  tls: notYet("servers[].tls"),
});

const bindingCache = v.strictObject({
  paths: v.optional(int(1), 1000),
  trees: v.optional(int(1), 1000),
  bounds: v.optional(int(1), 1000),
  clients: v.optional(int(1), 1000),
  idleTtlSecs: v.optional(int(1), 600),
});

function routerSchema(p: LinkerPluginCategories) {
  const defaultIdentifier: PluginConfig = { kind: "io.l5d.header.token", header: "Host" };
  const defaultInterpreter: PluginConfig = { kind: "default", transformers: [] };
  return v.pipe(
    v.strictObject({
      protocol: v.pipe(
        v.string("expected a protocol (http)"),
        v.check(
          (proto) => proto === "http",
          (i) => `protocol ${JSON.stringify(i.input)} is not supported by trellis yet (only http)`,
        ),
      ),
      label: v.optional(nonEmptyStr()),
      servers: v.pipe(
        v.array(server, "expected a list of servers"),
        v.minLength(1, "a router needs at least one server"),
      ),
      dtab: v.optional(dtab(), ""),
      dstPrefix: v.optional(path(), "/svc"),
      identifier: v.optional(oneOrMany(p.identifiers.schema()), [defaultIdentifier]),
      interpreter: v.optional(p.interpreters.schema(), defaultInterpreter),
      bindingTimeoutMs: v.optional(duration(), 10000),
      bindingCache: v.optional(bindingCache, {}),
      originator: v.optional(bool(), false),
      experimental: v.optional(bool(), false),
      maxHeadersKB: v.optional(int(1, 1024), 8),
      maxInitialLineKB: v.optional(int(1, 1024), 4),
      maxErrResponseKB: v.optional(int(0), 5120),
      maxRequestKB: v.optional(int(1)),
      maxResponseKB: v.optional(int(1)),
      streamingEnabled: v.optional(
        v.pipe(
          bool(),
          v.check(
            (b) => b,
            "streamingEnabled: false is not supported by trellis (bodies are always streamed)",
          ),
        ),
        true,
      ),
      streamAfterContentLengthKB: v.optional(int(0), 5),
      compressionLevel: v.optional(
        v.pipe(
          int(-1, 9),
          v.check((n) => n <= 0, "compression is not supported by trellis yet (use -1 or 0)"),
        ),
        -1,
      ),
      service: v.optional(serviceSchema(p), []),
      client: v.optional(clientSchema(p), []),
      announcers: v.optional(v.array(p.announcers.schema(), "expected a list of announcers"), []),
      httpAccessLog: notYet("routers[].httpAccessLog"),
      httpAccessLogRollPolicy: notYet("routers[].httpAccessLogRollPolicy"),
      httpAccessLogAppend: notYet("routers[].httpAccessLogAppend"),
      httpAccessLogRotateCount: notYet("routers[].httpAccessLogRotateCount"),
      tracePropagator: notYet("routers[].tracePropagator"),
      forwardClientCert: notYet("routers[].forwardClientCert"),
      requestAuthorizers: notYet("routers[].requestAuthorizers"),
    }),
    v.transform((r) => ({ ...r, label: r.label ?? r.protocol })),
  );
}

const usage = v.strictObject({
  orgId: v.optional(str()),
  enabled: v.optional(bool(), true),
});

/** The whole linker config: `admin`, `routers` (required), `namers`, `telemetry`, `usage`. */
export function linkerSchema(p: LinkerPluginCategories) {
  return v.strictObject({
    admin: adminSchema(9990),
    routers: v.pipe(
      v.array(routerSchema(p), "expected a list of routers"),
      v.minLength(1, "at least one router is required"),
    ),
    namers: v.optional(v.array(p.namers.schema(), "expected a list of namers"), []),
    telemetry: v.optional(v.array(p.telemeters.schema(), "expected a list of telemeters"), []),
    // Trellis: announcers shared by every router (Linkerd has them per router only).
    announcers: v.optional(v.array(p.announcers.schema(), "expected a list of announcers"), []),
    usage: v.optional(usage, {}),
  });
}

export type LinkerConfig = v.InferOutput<ReturnType<typeof linkerSchema>>;
export type RouterConfig = LinkerConfig["routers"][number];
export type ServerConfig = RouterConfig["servers"][number];
export type AdminConfig = LinkerConfig["admin"];

/** The top-level keys are required in the file; this says which one was missing, not just "invalid". */
export function requireKey(key: string) {
  return (input: unknown) =>
    typeof input === "object" && input !== null && !Array.isArray(input) && key in (input as object);
}
