// Writes HTTP/1.1 message heads and body framing: heads as one string, bodies by exact length or chunked.

import type { HeaderList } from "../http/header-list.ts";

/** `METHOD target HTTP/1.1` and the header lines, ending with the blank line. */
export function requestHead(method: string, target: string, headers: HeaderList): string {
  return headers.toHead(`${method} ${target} HTTP/1.1`);
}

/** `HTTP/1.1 status reason` and the header lines, ending with the blank line. */
export function responseHead(status: number, statusText: string, headers: HeaderList): string {
  return headers.toHead(`HTTP/1.1 ${status} ${statusText || reason(status)}`);
}

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function reason(status: number): string {
  return REASONS[status] ?? "Unknown";
}

/** The chunk-size line that goes before a chunk of `length` bytes. */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

export const CRLF = "\r\n";
export const LAST_CHUNK = "0\r\n\r\n";

/** Whether a response to `method` with `status` carries a body (RFC 9112 6.3). */
export function responseHasBody(method: string, status: number): boolean {
  return method !== "HEAD" && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
}
