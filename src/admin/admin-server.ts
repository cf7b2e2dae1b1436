// The admin server: Linkerd's admin endpoints (ping, metrics, config, delegator, client state, shutdown).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AdminConfig } from "../config/linker-schema.ts";
import { readBodyText } from "../http/read-body.ts";
import {
  ActivityTimeoutError,
  Dtab,
  delegateTreeToJson,
  type NameSyntaxError,
  readDtab,
  readPath,
  resolveAddrs,
} from "../naming/index.ts";
import type { MountedConfiguredNamer, StreamedPage } from "../plugins.ts";
import type { RouterView } from "../router/http-router.ts";
import { JSON_CONTENT_TYPE, type Metrics, metricsJsonStream, paced } from "../telemetry/index.ts";
import { clientStateJson } from "./client-state.ts";
import { type AdminPage, adminIndex, allowed, type PageCategory } from "./pages.ts";

export interface AdminServerOptions {
  readonly config: AdminConfig;
  readonly metrics: Metrics;
  readonly routers: readonly RouterView[];
  /** The configured namers, for `/bound-names.json` and `/namer_state/<prefix>.json`. */
  readonly namers: readonly MountedConfiguredNamer[];
  /** The effective config, as served at /config.json. */
  readonly effectiveConfig: () => unknown;
  /** Extra pages from telemeters (e.g. `/admin/metrics/prometheus`). */
  readonly extraPages: ReadonlyMap<string, AdminPage>;
  /** Asked to shut the process down (POST /admin/shutdown). */
  readonly shutdown: (graceMs: number | undefined) => void;
  /** Pages of another process kind (namerd's dtab views), tried first; resolves true when it answered. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

/** How long a delegation may take before the answer is 503, as Linkerd's. */
const DELEGATE_TIMEOUT_MS = 2000;
const MAX_BODY_BYTES = 64 * 1024;

export function createAdminServer(o: AdminServerOptions): Server {
  return createServer(
    { requireHostHeader: false, headersTimeout: 10_000, requestTimeout: 30_000 },
    (req, res) => {
      route(req, res, o).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain", `internal error: ${(e as Error).message}\n`);
        else res.destroy();
      });
    },
  );
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** Rendered pieces are gathered up to this many characters per write (fewer writes, fewer chunk frames). */
const WRITE_CHARS = 16_384;

/**
 * Writes a rendered metrics page in slices of a fraction of a millisecond, giving the event loop a turn in
 * between, so that a scrape of thousands of metrics never stalls the requests the proxy is carrying.
 */
async function sendStream(res: ServerResponse, page: StreamedPage): Promise<void> {
  res.writeHead(page.status, { "Content-Type": page.contentType });
  let pending = "";
  for await (const chunk of paced(page.chunks)) {
    pending += chunk;
    if (pending.length < WRITE_CHARS) continue;
    const ready = res.write(pending);
    pending = "";
    if (!ready) await new Promise((r) => res.once("drain", r));
  }
  res.end(pending);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON_CONTENT_TYPE, JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return readBodyText(req, MAX_BODY_BYTES, () => new Error("request body too large"), "destroy");
}

function categoryOf(path: string): PageCategory {
  if (path === "/admin/shutdown" || path === "/logging.json") return "control";
  if (path === "/" || path === "/delegator" || path === "/dashboard") return "ui";
  return "diagnostics";
}

async function route(req: IncomingMessage, res: ServerResponse, o: AdminServerOptions): Promise<void> {
  const url = new URL(req.url ?? "/", "http://admin");
  const path = url.pathname;
  if (!allowed(o.config.security, categoryOf(path), path)) {
    send(res, 404, "text/plain", "not found\n");
    return;
  }
  const method = req.method ?? "GET";
  if (o.routes !== undefined && (await o.routes(req, res, url))) return;
  const extra = o.extraPages.get(path);
  if (extra !== undefined) {
    await sendStream(res, extra());
    return;
  }
  switch (path) {
    case "/admin/ping":
      send(res, 200, "text/plain", "pong");
      return;
    case "/admin/metrics.json":
      await sendStream(res, metricsJsonStream(o.metrics, url.searchParams));
      return;
    case "/config.json":
      send(res, 200, JSON_CONTENT_TYPE, JSON.stringify(o.effectiveConfig(), configReplacer));
      return;
    case "/client_state.json":
      sendJson(res, 200, clientStateJson(o.routers));
      return;
    case "/bound-names.json":
      sendJson(
        res,
        200,
        o.namers.flatMap((n) => n.boundNames?.() ?? []).map((p) => p.show),
      );
      return;
    case "/delegator.json":
      await delegator(req, res, url, o, method);
      return;
    case "/admin/shutdown": {
      if (method !== "POST") {
        res.setHeader("Allow", "POST");
        send(res, 405, "text/plain", "POST to shut down\n");
        return;
      }
      const grace = url.searchParams.get("grace");
      const graceMs = grace === null ? undefined : parseGrace(grace);
      send(res, 200, "text/plain", "shutting down\n");
      o.shutdown(graceMs);
      return;
    }
    case "/":
    case "/admin":
    case "/admin/index.txt":
      send(
        res,
        200,
        path === "/" ? "text/html; charset=utf-8" : "text/plain",
        adminIndex(
          path === "/",
          [...o.extraPages.keys()],
          o.namers.filter((n) => n.state !== undefined).map((n) => `/namer_state/${n.label}.json`),
        ),
      );
      return;
    default: {
      const state = /^\/namer_state\/(.+)\.json$/.exec(path);
      const namer = state === null ? undefined : o.namers.find((n) => n.label === state[1]);
      if (namer?.state !== undefined) {
        sendJson(res, 200, namer.state());
        return;
      }
      send(res, 404, "text/plain", "not found\n");
    }
  }
}

/** `10.seconds`, `500.milliseconds`, or a bare number of milliseconds. */
function parseGrace(text: string): number | undefined {
  const m = /^(\d+)(?:\.(milliseconds|seconds|minutes))?$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return m[2] === "seconds" ? n * 1000 : m[2] === "minutes" ? n * 60_000 : n;
}

/** Shows dtabs in their text form, as Linkerd's /config.json does (the original value, before its toJSON). */
function configReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return original instanceof Dtab ? original.show : value;
}

async function delegator(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  o: AdminServerOptions,
  method: string,
): Promise<void> {
  let namespace: string | null;
  let dtabText: string | null;
  let pathText: string | null;
  if (method === "POST") {
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      send(res, 415, "text/plain", "expected a JSON body {namespace, dtab, path}\n");
      return;
    }
    let body: { namespace?: unknown; dtab?: unknown; path?: unknown };
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      send(res, 400, "text/plain", `Malformed delegation request: ${(e as Error).message}\n`);
      return;
    }
    if (typeof body.dtab !== "string" || typeof body.path !== "string") {
      send(res, 400, "text/plain", "Malformed delegation request: dtab and path are required strings\n");
      return;
    }
    namespace = typeof body.namespace === "string" ? body.namespace : null;
    dtabText = body.dtab;
    pathText = body.path;
  } else if (method === "GET" || method === "HEAD") {
    namespace = url.searchParams.get("namespace");
    dtabText = url.searchParams.get("dtab");
    pathText = url.searchParams.get("path");
  } else {
    res.setHeader("Allow", "GET, POST");
    send(res, 405, "text/plain", "method not allowed\n");
    return;
  }
  const router = namespace === null ? o.routers[0] : o.routers.find((r) => r.label === namespace);
  if (router === undefined) {
    send(res, 404, "text/plain", `no router named ${JSON.stringify(namespace)}\n`);
    return;
  }
  let dtab: Dtab;
  try {
    dtab = dtabText === null ? Dtab.empty : readDtab(dtabText);
  } catch (e) {
    send(res, 400, "text/plain", `Invalid dtab: ${(e as NameSyntaxError).message}\n`);
    return;
  }
  if (pathText === null) {
    send(res, 400, "text/plain", "Invalid path: missing path parameter\n");
    return;
  }
  let path: ReturnType<typeof readPath>;
  try {
    path = readPath(pathText);
  } catch (e) {
    send(res, 400, "text/plain", `Invalid path: ${(e as NameSyntaxError).message}\n`);
    return;
  }
  const started = Date.now();
  try {
    const tree = await router.interpreter.delegate(dtab, path).toPromise(DELEGATE_TIMEOUT_MS);
    const addrs = await resolveAddrs(tree, Math.max(0, DELEGATE_TIMEOUT_MS - (Date.now() - started)));
    sendJson(res, 200, delegateTreeToJson(tree, addrs));
  } catch (e) {
    if (e instanceof ActivityTimeoutError) send(res, 503, "text/plain", "Request timed out.\n");
    else send(res, 500, "text/plain", `${(e as Error).message}\n`);
  }
}
