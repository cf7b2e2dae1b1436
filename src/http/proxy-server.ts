// The HTTP/1.1 server side of a router: strict parsing, limits, and streaming the router's answer back.

import { createServer, type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { HeaderList } from "./header-list.ts";
import type { ProxyRequest, ProxyResponse } from "./message.ts";

/** At most this many header lines in a request (Envoy's limit); more is answered 431. */
export const MAX_HEADER_LINES = 100;

export interface ProxyServerOptions {
  /** Most bytes of request head (request line and headers) accepted: Linkerd's maxHeadersKB + maxInitialLineKB. */
  readonly maxHeaderBytes: number;
  /** Most bytes of header lines alone (Linkerd's maxHeadersKB); more is answered 431. */
  readonly maxHeaderLinesBytes: number;
  /** Most bytes in the request target; longer is answered 414. */
  readonly maxTargetBytes: number;
  /** Time allowed for a client to send the request head. */
  readonly headersTimeoutMs: number;
  /** Time allowed for a client to send the whole request, body included. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection from a client is kept. */
  readonly keepAliveTimeoutMs: number;
  readonly noDelay: boolean;
  /** Answers one request; the signal fires if the client goes away before the answer is complete. */
  readonly handle: (request: ReceivedRequest, signal: AbortSignal) => Promise<ProxyResponse>;
  /** Answers a request the server refused before routing (bad framing, limits); for metrics and logs. */
  readonly onRefused?: (status: number, reason: string) => void;
}

/** Connections on which a request was refused: nothing more is read from them, even if already pipelined. */
const refusedSockets = new WeakSet<Socket>();

function refuse(res: ServerResponse, status: number, reason: string, options: ProxyServerOptions): void {
  options.onRefused?.(status, reason);
  if (res.req?.socket) refusedSockets.add(res.req.socket);
  const body = `${reason}\n`;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    Connection: "close",
  });
  res.end(body);
}

/** The bytes the header lines took on the wire (`name: value` and CRLF each). */
function headerBytes(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) n += (raw[i] as string).length + (raw[i + 1] as string).length + 4;
  return n;
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === "host") n++;
  return n;
}

/** The exact body length the client declared, or undefined when the body is chunked or absent. */
function declaredLength(req: IncomingMessage): number | undefined {
  const cl = req.headers["content-length"];
  if (cl === undefined || req.headers["transfer-encoding"] !== undefined) return undefined;
  return Number(cl);
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const cl = req.headers["content-length"];
  return cl !== undefined && cl !== "0";
}

/** What the router is given: the request and, for framing, the declared body length. */
export interface ReceivedRequest extends ProxyRequest {
  readonly contentLength: number | undefined;
}

export function createProxyServer(options: ProxyServerOptions): Server {
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
      requireHostHeader: true,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node enforces the two timeouts above only when it checks, every 30 s unless told otherwise.
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
      keepAliveTimeout: options.keepAliveTimeoutMs,
      noDelay: options.noDelay,
    },
    (req, res) => onRequest(req, res, options),
  );
  // Node drops headers past this count from req.headers but still frames with them (CVE-2026-58044);
  // a count above our own limit is refused in onRequest, so what is checked is what is framed.
  server.maxHeadersCount = MAX_HEADER_LINES + 1;
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    // Node stops parsing a connection after a request that asks to upgrade. Trellis does not tunnel (as Linkerd
    // 1), so the request is answered as an ordinary one, without its Upgrade header, and the connection is
    // closed after the answer: a request pipelined behind it is never read, rather than silently dropped.
    socket.on("error", () => socket.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once("finish", () => {
      res.detachSocket(socket);
      socket.end();
    });
    if (hasBody(req)) {
      refuse(res, 400, "a request that asks to upgrade cannot carry a body here", options);
      return;
    }
    onRequest(req, res, options);
  });
  server.on("connect", (_req: IncomingMessage, socket: Socket) => {
    options.onRefused?.(405, "CONNECT is not supported");
    socket.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    options.onRefused?.(status, err.code ?? "client error");
    const text =
      status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request";
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  return server;
}

function onRequest(req: IncomingMessage, res: ServerResponse, options: ProxyServerOptions): void {
  if (refusedSockets.has(req.socket)) {
    // Pipelined behind a refused request on a connection that is closing: never forwarded.
    res.destroy();
    return;
  }
  const raw = req.rawHeaders;
  if (raw.length / 2 > MAX_HEADER_LINES) {
    refuse(res, 431, `too many header lines (more than ${MAX_HEADER_LINES})`, options);
    req.resume();
    return;
  }
  if (headerBytes(raw) > options.maxHeaderLinesBytes) {
    refuse(res, 431, `header lines longer than ${options.maxHeaderLinesBytes} bytes in all`, options);
    req.resume();
    return;
  }
  const te = req.headers["transfer-encoding"];
  if (te !== undefined && !/^\s*chunked\s*$/i.test(te)) {
    // A coding besides chunked would be lost when the body is re-framed (RFC 9112 6.1: answer 501).
    refuse(res, 501, `Transfer-Encoding ${JSON.stringify(te)} is not supported (only chunked)`, options);
    req.resume();
    return;
  }
  if (hostCount(raw) > 1) {
    refuse(res, 400, "more than one Host header", options);
    req.resume();
    return;
  }
  const target = req.url ?? "/";
  if (Buffer.byteLength(target) > options.maxTargetBytes) {
    refuse(res, 414, `request target longer than ${options.maxTargetBytes} bytes`, options);
    req.resume();
    return;
  }
  const controller = new AbortController();
  let finished = false;
  res.once("finish", () => {
    finished = true;
  });
  res.once("close", () => {
    if (!finished) controller.abort();
  });
  const request: ReceivedRequest = {
    method: req.method ?? "GET",
    target,
    version: req.httpVersion === "1.0" ? "1.0" : "1.1",
    headers: new HeaderList(raw),
    body: hasBody(req) ? req : null,
    contentLength: declaredLength(req),
    remoteAddress: req.socket.remoteAddress ?? "",
    remotePort: req.socket.remotePort ?? 0,
  };
  if (request.body === null) req.resume();
  options.handle(request, controller.signal).then(
    (response) => writeResponse(res, response, request),
    (e: unknown) => {
      // The handler answers its own errors; anything reaching here is a bug, answered without detail.
      if (!res.headersSent) refuse(res, 500, "internal error", options);
      else res.destroy(e as Error);
    },
  );
}

function writeResponse(res: ServerResponse, response: ProxyResponse, request: ProxyRequest): void {
  if (res.destroyed) {
    response.body?.destroy();
    return;
  }
  const raw = response.headers.toRaw();
  res.writeHead(response.status, response.statusText || undefined, raw as unknown as Record<string, string>);
  const bodyless = request.method === "HEAD" || response.status === 204 || response.status === 304;
  if (response.body === null || bodyless) {
    response.body?.resume();
    res.end();
    return;
  }
  // pipe() rather than pipeline(): the latter builds an AbortController per call, a measurable share of a request.
  const body = response.body;
  body.pipe(res);
  body.once("error", () => res.destroy());
  // A body that broke half-way cannot be answered with an error any more: the client connection is cut so that
  // it cannot mistake a truncated body for a whole one.
  body.once("close", () => {
    if (!body.readableEnded) res.destroy();
  });
  res.once("close", () => {
    if (!body.readableEnded) body.destroy();
  });
}
