// io.l5d.httpController: namerd's REST API over HTTP/1.1 (dtabs, bind, addr, resolve, delegate, bound names, watches).

import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readBodyText } from "../../../http/read-body.ts";
import {
  Activity,
  ActivityTimeoutError,
  Addr,
  type BoundName,
  type DelegateTree,
  Dtab,
  delegateTreeToJson,
  NameSyntaxError,
  type NameTree,
  type Path,
  readDtab,
  readPath,
  resolveAddrs,
  State,
  type Var,
} from "../../../naming/index.ts";
import type { MetricsScope } from "../../../telemetry/index.ts";
import {
  InvalidNamespaceError,
  type NamerdCore,
  type NamerdInterface,
  NamespaceExistsError,
  NamespaceMissingError,
  StoreForbiddenError,
  VersionMismatchError,
} from "../../core.ts";
import { boundTreeJson } from "./bound-json.ts";
import { codecForAccept, codecForContentType, DtabBodyError, JSON_MEDIA_TYPE } from "./dtab-codec.ts";
import { isWatch, streamActivity } from "./watch.ts";

export const HTTP_CONTROLLER_KIND = "io.l5d.httpController";

const API = "/api/1";
/** Largest dtab body accepted (namerd has no limit; a dtab of 10,000 entries is about 600 KB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** How long a delegation may take before 503, as namerd's. */
const DELEGATE_TIMEOUT_MS = 2000;
/** How long a one-shot bind, addr or resolve waits for a value that is not Pending before 503. */
const ANSWER_TIMEOUT_MS = 10_000;
/** How long a bind answer waits for its leaves' addresses before showing them as pending. */
const ADDR_WAIT_MS = 2000;

export interface HttpControllerConfig {
  readonly ip: string;
  readonly port: number;
  /** Bearer token required of writes (POST, PUT, DELETE); none: writes are open, as in namerd. */
  readonly writeToken?: string;
}

export interface HttpControllerOptions {
  readonly config: HttpControllerConfig;
  readonly core: NamerdCore & {
    delegateWithoutNamespace?(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>>;
  };
  readonly metrics?: MetricsScope;
  /** Picks a Union branch in `/resolve` (0 <= r < 1); passed in for tests. */
  readonly random?: () => number;
}

/** A request mistake answered with a status and a plain-text message. */
class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class HttpController implements NamerdInterface {
  readonly kind = HTTP_CONTROLLER_KIND;
  readonly #options: HttpControllerOptions;
  readonly #server: Server;
  readonly #random: () => number;
  #watches = 0;

  constructor(options: HttpControllerOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#server = createServer(
      { requireHostHeader: false, headersTimeout: 10_000, requestTimeout: 0, keepAliveTimeout: 30_000 },
      (req, res) => this.#handle(req, res),
    );
    options.metrics?.gauge("watches", () => this.#watches);
  }

  listen(): Promise<{ host: string; port: number }> {
    const { ip, port } = this.#options.config;
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ host: ip, port }, () => {
        this.#server.off("error", reject);
        const a = this.#server.address();
        resolve({ host: ip, port: typeof a === "object" && a !== null ? a.port : port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const m = this.#options.metrics;
    m?.counter("requests").incr();
    res.once("finish", () => m?.counter(["status", String(res.statusCode)]).incr());
    this.#route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : statusOfStoreError(e);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendText(res, status, `${(e as Error).message}\n`);
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://namerd");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === `${API}/dtabs` || path === `${API}/dtabs/`) {
      allow(method, ["GET", "HEAD"]);
      return this.#list(req, res, url);
    }
    if (path.startsWith(`${API}/dtabs/`)) {
      const ns = decodeSegment(path.slice(`${API}/dtabs/`.length));
      switch (method) {
        case "GET":
        case "HEAD":
          return this.#getDtab(req, res, url, ns, method === "HEAD");
        case "POST":
        case "PUT":
          this.#authorize(req);
          return this.#writeDtab(req, res, ns, method);
        case "DELETE":
          this.#authorize(req);
          await this.#options.core.delete(ns);
          res.writeHead(204).end();
          return;
        default:
          allow(method, ["GET", "HEAD", "POST", "PUT", "DELETE"]);
      }
    }
    if (path === `${API}/bound-names`) {
      allow(method, ["GET", "HEAD"]);
      return this.#boundNames(res, url);
    }
    if (path === `${API}/delegate`) return this.#delegateWithoutNamespace(req, res, url, method);
    for (const op of ["bind", "addr", "resolve", "delegate"] as const) {
      const prefix = `${API}/${op}/`;
      if (!path.startsWith(prefix) || path.length === prefix.length) continue;
      allow(method, ["GET", "HEAD"]);
      const ns = decodeSegment(path.slice(prefix.length));
      const target = pathParam(url);
      switch (op) {
        case "bind":
          return this.#bind(res, url, ns, target);
        case "addr":
          return this.#addr(res, url, ns, target);
        case "resolve":
          return this.#resolve(res, url, ns, target);
        case "delegate":
          return this.#delegate(res, ns, dtabParam(url), target);
      }
    }
    sendText(res, 404, "not found\n");
  }

  /** With a write token configured, a write must carry it as `Authorization: Bearer <token>`. */
  #authorize(req: IncomingMessage): void {
    const token = this.#options.config.writeToken;
    if (token === undefined) return;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    const given = Buffer.from(m?.[1]?.trim() ?? "");
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new HttpError(401, "writes need Authorization: Bearer <the controller's writeToken>");
    }
  }

  #list(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void {
    const names = this.#options.core.namespaces();
    const render = (list: readonly string[]) => `${JSON.stringify([...list].sort())}\n`;
    if (isWatch(url.searchParams)) return this.#stream(res, names, JSON_MEDIA_TYPE, render);
    return answer(names, ANSWER_TIMEOUT_MS).then((list) => sendBody(res, 200, JSON_MEDIA_TYPE, render(list)));
  }

  async #getDtab(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    ns: string,
    head: boolean,
  ): Promise<void> {
    const { mediaType, codec } = codecForAccept(req.headers.accept);
    const dtab = this.#options.core.dtab(ns);
    if (!head && isWatch(url.searchParams)) {
      // As namerd: a missing namespace is skipped in watch mode (the stream waits for it to exist).
      return this.#stream(res, dtab, mediaType, (v) =>
        v === undefined ? undefined : `${codec.write(v.dtab)}\n`,
      );
    }
    const v = await answer(dtab, ANSWER_TIMEOUT_MS);
    if (v === undefined) throw new HttpError(404, `dtab namespace ${ns} does not exist`);
    res.setHeader("ETag", Buffer.from(v.version).toString("base64"));
    if (head) {
      res.writeHead(200).end();
      return;
    }
    sendBody(res, 200, mediaType, `${codec.write(v.dtab)}\n`);
  }

  async #writeDtab(
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    method: "POST" | "PUT",
  ): Promise<void> {
    const contentType = req.headers["content-type"];
    const codec = codecForContentType(contentType);
    if (codec === undefined) {
      throw new HttpError(
        400,
        contentType === undefined
          ? "a Content-Type is required: application/json, application/dtab or text/plain"
          : `unsupported Content-Type ${JSON.stringify(contentType)}: use application/json, application/dtab or text/plain`,
      );
    }
    const body = await readBody(req);
    let dtab: Dtab;
    try {
      dtab = codec.read(body);
    } catch (e) {
      if (e instanceof DtabBodyError) throw new HttpError(400, e.message);
      throw e;
    }
    const core = this.#options.core;
    if (method === "POST") {
      await core.create(ns, dtab);
    } else {
      const ifMatch = req.headers["if-match"];
      if (ifMatch === undefined) await core.put(ns, dtab);
      else await core.update(ns, dtab, versionOf(ifMatch));
    }
    res.writeHead(204).end();
  }

  #boundNames(res: ServerResponse, url: URL): Promise<void> | void {
    const names = this.#options.core.boundNames();
    const render = (list: readonly Path[]) => `${JSON.stringify(list.map((p) => p.show))}\n`;
    if (isWatch(url.searchParams)) return this.#stream(res, names, JSON_MEDIA_TYPE, render);
    return answer(names, ANSWER_TIMEOUT_MS).then((list) => sendBody(res, 200, JSON_MEDIA_TYPE, render(list)));
  }

  async #bind(res: ServerResponse, url: URL, ns: string, path: Path): Promise<void> {
    const tree = this.#options.core.bind(ns, dtabParam(url), path);
    const render = async (t: NameTree<BoundName>) =>
      `${JSON.stringify(await boundTreeJson(t, ADDR_WAIT_MS))}\n`;
    if (isWatch(url.searchParams)) return this.#stream(res, tree, JSON_MEDIA_TYPE, render);
    sendBody(res, 200, JSON_MEDIA_TYPE, await render(await answer(tree, ANSWER_TIMEOUT_MS)));
  }

  async #addr(res: ServerResponse, url: URL, ns: string, id: Path): Promise<void> {
    const addr = addrActivity(this.#options.core.addr(ns, id));
    if (isWatch(url.searchParams)) return this.#stream(res, addr, JSON_MEDIA_TYPE, addrLine);
    sendBody(res, 200, JSON_MEDIA_TYPE, addrLine(await answer(addr, ANSWER_TIMEOUT_MS)));
  }

  async #resolve(res: ServerResponse, url: URL, ns: string, path: Path): Promise<void> {
    const core = this.#options.core;
    const addr = core.bind(ns, dtabParam(url), path).flatMap((tree) => {
      const id = pickId(tree, this.#random);
      return id === undefined ? Activity.value(Addr.neg) : addrActivity(core.addr(ns, id));
    });
    if (isWatch(url.searchParams)) return this.#stream(res, addr, JSON_MEDIA_TYPE, addrLine);
    sendBody(res, 200, JSON_MEDIA_TYPE, addrLine(await answer(addr, ANSWER_TIMEOUT_MS)));
  }

  async #delegate(res: ServerResponse, ns: string | undefined, dtab: Dtab, path: Path): Promise<void> {
    const core = this.#options.core;
    let tree: Activity<DelegateTree<BoundName>>;
    if (ns !== undefined) tree = core.delegate(ns, dtab, path);
    else if (core.delegateWithoutNamespace !== undefined) tree = core.delegateWithoutNamespace(dtab, path);
    else throw new HttpError(501, "this namerd cannot delegate without a namespace");
    const started = Date.now();
    let t: DelegateTree<BoundName>;
    try {
      t = await tree.toPromise(DELEGATE_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof ActivityTimeoutError) throw new HttpError(503, "Request timed out.");
      throw e;
    }
    const addrs = await resolveAddrs(t, Math.max(0, DELEGATE_TIMEOUT_MS - (Date.now() - started)));
    sendBody(res, 200, JSON_MEDIA_TYPE, JSON.stringify(delegateTreeToJson(t, addrs)));
  }

  /** `/api/1/delegate` without a namespace: GET `?namespace=&dtab=&path=` or POST JSON `{namespace,dtab,path}`. */
  async #delegateWithoutNamespace(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    if (method === "GET" || method === "HEAD") {
      const ns = url.searchParams.get("namespace") ?? undefined;
      return this.#delegate(res, ns, dtabParam(url), pathParam(url));
    }
    if (method !== "POST") allow(method, ["GET", "HEAD", "POST"]);
    if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith(JSON_MEDIA_TYPE)) {
      throw new HttpError(415, "expected a JSON body {namespace, dtab, path}");
    }
    const text = await readBody(req);
    let body: { namespace?: unknown; dtab?: unknown; path?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, `Malformed delegation request: ${text}`);
    }
    if (typeof body?.dtab !== "string" || typeof body.path !== "string") {
      throw new HttpError(400, `Malformed delegation request: ${text}`);
    }
    const ns = typeof body.namespace === "string" ? body.namespace : undefined;
    return this.#delegate(res, ns, parseDtab(body.dtab), parsePath(body.path));
  }

  #stream<T>(
    res: ServerResponse,
    activity: Activity<T>,
    contentType: string,
    render: (value: T) => string | undefined | Promise<string | undefined>,
  ): void {
    this.#watches++;
    streamActivity(res, activity, contentType, render, () => this.#watches--);
  }
}

function statusOfStoreError(e: unknown): number {
  if (e instanceof NamespaceExistsError) return 409;
  if (e instanceof NamespaceMissingError) return 404;
  if (e instanceof VersionMismatchError) return 412;
  if (e instanceof InvalidNamespaceError) return 400;
  if (e instanceof StoreForbiddenError) return 403;
  if (e instanceof ActivityTimeoutError) return 503;
  return 500;
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    const e = new HttpError(405, `method ${method} not allowed here (allowed: ${methods.join(", ")})`);
    throw e;
  }
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `invalid percent-encoding in ${JSON.stringify(text)}`);
  }
}

function parsePath(text: string): Path {
  try {
    return readPath(text);
  } catch (e) {
    if (e instanceof NameSyntaxError) throw new HttpError(400, `Invalid path: ${text} / ${e.message}`);
    throw e;
  }
}

function pathParam(url: URL): Path {
  const text = url.searchParams.get("path");
  if (text === null) throw new HttpError(400, "Invalid path: the path parameter is missing");
  return parsePath(text);
}

function parseDtab(text: string): Dtab {
  try {
    return readDtab(text);
  } catch (e) {
    if (e instanceof NameSyntaxError) throw new HttpError(400, `Invalid dtab: ${e.message}`);
    throw e;
  }
}

function dtabParam(url: URL): Dtab {
  const text = url.searchParams.get("dtab");
  return text === null ? Dtab.empty : parseDtab(text);
}

/** An If-Match value: the base64 version, raw as namerd sends it (surrounding quotes tolerated). */
function versionOf(ifMatch: string): Uint8Array {
  const raw = ifMatch
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
  return new Uint8Array(Buffer.from(raw, "base64"));
}

function addrLine(addr: Addr): string {
  return `${JSON.stringify(Addr.toJSON(addr))}\n`;
}

/** An Addr as an Activity: Pending waits, Failed is a value (namerd's JSON has a "failed" type). */
function addrActivity(addr: Var<Addr>): Activity<Addr> {
  return new Activity(addr.map((a): State<Addr> => (a.kind === "pending" ? State.pending : State.ok(a))));
}

/** namerd's resolve: a Union picks one branch by weight, an Alt its first branch that gives an id. */
function pickId(tree: NameTree<BoundName>, random: () => number): Path | undefined {
  switch (tree.kind) {
    case "leaf":
      return tree.value.id;
    case "alt":
      for (const t of tree.trees) {
        const id = pickId(t, random);
        if (id !== undefined) return id;
      }
      return undefined;
    case "union": {
      const total = tree.trees.reduce((s, w) => s + w.weight, 0);
      if (tree.trees.length === 0 || !(total > 0)) return undefined;
      let r = random() * total;
      for (const w of tree.trees) {
        r -= w.weight;
        if (r < 0) return pickId(w.tree, random);
      }
      return pickId((tree.trees[tree.trees.length - 1] as { tree: NameTree<BoundName> }).tree, random);
    }
    default:
      return undefined;
  }
}

/** The first value that is not Pending; a failure rejects, and no value within `timeoutMs` is 503. */
async function answer<T>(activity: Activity<T>, timeoutMs: number): Promise<T> {
  try {
    return await activity.toPromise(timeoutMs);
  } catch (e) {
    if (e instanceof ActivityTimeoutError) throw new HttpError(503, "Request timed out.");
    throw e;
  }
}

function sendText(res: ServerResponse, status: number, body: string): void {
  sendBody(res, status, "text/plain; charset=utf-8", body);
}

function sendBody(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return readBodyText(
    req,
    MAX_BODY_BYTES,
    () => new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`),
    "pause",
  );
}
