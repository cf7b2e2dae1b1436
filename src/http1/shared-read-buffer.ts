// The one buffer that every HTTP/1 socket's reads land in, and how a socket a server accepted is switched to it.

import type { Socket } from "node:net";

/**
 * Where the reads of every client and upstream connection land, one read at a time: libuv reads into it and the
 * read is handed on at once. Nothing keeps a view of it past the read: the parser copies header text into
 * strings and hands each body piece over as a copy of its own (checked in upstream.test.ts
 * and shared-read-buffer.test.ts), so one
 * buffer serves every connection. Reads past it skip node:stream's queue, its `data` events and a fresh 64 KiB
 * allocation per read.
 */
export const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Node's keys for the `onread` option on a socket; null when this Node's sockets have none. */
interface OnreadKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
}

let onreadKeys: OnreadKeys | null | undefined;

function keysOf(socket: Socket): OnreadKeys | null {
  if (onreadKeys === undefined) {
    const own = Object.getOwnPropertySymbols(socket);
    const buffer = own.find((s) => s.description === "kBuffer");
    const callback = own.find((s) => s.description === "kBufferCb");
    onreadKeys = buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
  }
  return onreadKeys;
}

/**
 * Reads a socket into SHARED_READ_BUFFER and hands each read to `onRead`, as `net.connect`'s `onread` option
 * does for the sockets it opens: `net.Server` has no such option for the ones it accepts, so this sets the same
 * two fields Node's `onread` sets (`pause`, `resume`, `end` and `close` then behave as documented for it). The
 * socket must not be reading yet (a server created with `pauseOnConnect`); it starts on `resume()`.
 * Returns false, and changes nothing, when the pinned Node's sockets lack those fields; the caller then listens
 * for `data` instead.
 */
export function readIntoSharedBuffer(socket: Socket, onRead: (data: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  const keys = keysOf(socket);
  if (keys === null || typeof handle?.useUserBuffer !== "function") return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[keys.buffer] !== null || fields[keys.callback] !== null) return false;
  fields[keys.buffer] = SHARED_READ_BUFFER;
  fields[keys.callback] = (n: number) => {
    onRead(SHARED_READ_BUFFER.subarray(0, n));
    return true;
  };
  handle.useUserBuffer(SHARED_READ_BUFFER);
  return true;
}
