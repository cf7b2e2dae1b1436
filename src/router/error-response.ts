// Builds the response for an error the proxy answers itself: status, `l5d-err` and a text body, or bare under clearContext.

import { HeaderList } from "../http/header-list.ts";
import { appendVia, encodeErrHeader, L5dHeader } from "../http/linkerd-headers.ts";
import type { HttpVersion } from "../http/message.ts";
import type { RouterError } from "./router-errors.ts";

export interface ErrorResponseOptions {
  /** Under clearContext nothing about the mesh leaks: no `l5d-*` headers and an empty body. */
  readonly clearContext: boolean;
  readonly version: HttpVersion;
  readonly maxErrHeaderBytes: number;
  readonly maxErrBodyBytes: number;
}

/** A complete small response: status, headers (Content-Length included) and body. */
export interface ErrorBody {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: Buffer;
}

export function errorResponse(err: RouterError, o: ErrorResponseOptions): ErrorBody {
  const headers = new HeaderList();
  appendVia(headers, o.version);
  if (o.clearContext) {
    headers.add("Content-Length", "0");
    return { status: err.status, headers, body: Buffer.alloc(0) };
  }
  headers.add(L5dHeader.err, encodeErrHeader(err.message, o.maxErrHeaderBytes));
  if (err.retryable) headers.add(L5dHeader.retryable, "true");
  const body = Buffer.from(`${err.message}\n`, "utf8").subarray(0, o.maxErrBodyBytes);
  headers.add("Content-Type", "text/plain; charset=utf-8");
  headers.add("Content-Length", String(body.length));
  return { status: err.status, headers, body };
}
