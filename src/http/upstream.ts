// Sends one request to one upstream endpoint over its keep-alive pool, streaming the body both ways.

import type { Agent } from "node:http";
import { type IncomingMessage, request } from "node:http";
import type { Readable } from "node:stream";
import { HeaderList } from "./header-list.ts";
import type { HttpVersion } from "./message.ts";

export interface UpstreamRequest {
  readonly ip: string;
  readonly port: number;
  readonly agent: Agent;
  readonly method: string;
  readonly target: string;
  /** Headers to send, hop-by-hop ones already removed; framing is added here, never copied from the client. */
  readonly headers: HeaderList;
  readonly body: Readable | null;
  /** The body's exact length when the client framed it with Content-Length; undefined for a chunked body. */
  readonly contentLength: number | undefined;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly statusText: string;
  readonly version: HttpVersion;
  readonly headers: HeaderList;
  /** The body stream (the Node response object itself); it has a body unless the status or method forbid one. */
  readonly body: IncomingMessage;
}

/** Why an upstream call failed, and whether the request could not have reached the upstream application. */
export class UpstreamError extends Error {
  readonly code: string | undefined;
  /** True when the connection failed before any of the request was written (safe to try elsewhere). */
  readonly notSent: boolean;

  constructor(message: string, code: string | undefined, notSent: boolean) {
    super(message);
    this.name = "UpstreamError";
    this.code = code;
    this.notSent = notSent;
  }
}

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EADDRNOTAVAIL"]);

/**
 * Forwards the request and resolves with the response head once it arrives. The request body streams as it
 * comes, re-framed by us: an exact Content-Length when the client sent one, else chunked. `signal` aborts the
 * call (the client went away): the upstream socket is destroyed, never returned to the pool half-used.
 */
export function callUpstream(req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const headers = req.headers.clone();
    headers.delete("content-length");
    headers.delete("transfer-encoding");
    if (req.contentLength !== undefined) headers.add("Content-Length", String(req.contentLength));
    else if (req.body !== null) headers.add("Transfer-Encoding", "chunked");

    let settled = false;
    const upstream = request({
      host: req.ip,
      port: req.port,
      method: req.method,
      path: req.target,
      headers: headers.toRaw() as unknown as Record<string, string>,
      agent: req.agent,
      setHost: false,
      signal,
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    });
    upstream.once("response", (res) => {
      settled = true;
      resolve({
        status: res.statusCode ?? 502,
        statusText: res.statusMessage ?? "",
        version: res.httpVersion === "1.0" ? "1.0" : "1.1",
        headers: new HeaderList(res.rawHeaders),
        body: res,
      });
    });
    upstream.once("error", (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      reject(new UpstreamError(e.message, e.code, CONNECT_ERRORS.has(e.code ?? "")));
    });
    if (req.body === null) {
      upstream.end();
      return;
    }
    req.body.pipe(upstream);
    req.body.once("error", (e) => upstream.destroy(e));
    req.body.once("aborted", () => upstream.destroy(new Error("client aborted the request body")));
  });
}
