// Builds the response for an error the proxy answers itself: status, `l5d-err` and a text body, or bare under clearContext.

import { Readable } from "node:stream";
import { HeaderList } from "../http/header-list.ts";
import { appendVia, encodeErrHeader, L5dHeader } from "../http/linkerd-headers.ts";
import type { HttpVersion, ProxyResponse } from "../http/message.ts";
import type { RouterError } from "./router-errors.ts";

export interface ErrorResponseOptions {
  /** Under clearContext nothing about the mesh leaks: no `l5d-*` headers and an empty body. */
  readonly clearContext: boolean;
  readonly version: HttpVersion;
  readonly maxErrHeaderBytes: number;
  readonly maxErrBodyBytes: number;
}

export function errorResponse(err: RouterError, o: ErrorResponseOptions): ProxyResponse {
  const headers = new HeaderList();
  appendVia(headers, o.version);
  if (o.clearContext) {
    headers.add("Content-Length", "0");
    return { status: err.status, headers, body: null };
  }
  headers.add(L5dHeader.err, encodeErrHeader(err.message, o.maxErrHeaderBytes));
  if (err.retryable) headers.add(L5dHeader.retryable, "true");
  const text = Buffer.from(`${err.message}\n`, "utf8").subarray(0, o.maxErrBodyBytes);
  headers.add("Content-Type", "text/plain; charset=utf-8");
  headers.add("Content-Length", String(text.length));
  return { status: err.status, headers, body: Readable.from([text]) };
}
