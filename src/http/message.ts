// The request and response as the router sees them: protocol-neutral fields, ordered headers, streamed bodies.

import type { Readable } from "node:stream";
import type { HeaderList } from "./header-list.ts";

export type HttpVersion = "1.0" | "1.1";

/** A request on its way through the router. Identifiers read it; filters may rewrite `target` and `headers`. */
export interface ProxyRequest {
  readonly method: string;
  /** The request target in origin form (`/path?query`), after any absolute-form rewrite. */
  target: string;
  readonly version: HttpVersion;
  readonly headers: HeaderList;
  /** The body, streamed; null when the request has none. */
  readonly body: Readable | null;
  /** The peer's address, for access logs and `Forwarded`. */
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** A response on its way back to the client. */
export interface ProxyResponse {
  readonly status: number;
  readonly statusText?: string;
  readonly headers: HeaderList;
  readonly body: Readable | null;
}

/** The path part of a request target (`/a/b` of `/a/b?x=1`). */
export function targetPath(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}
