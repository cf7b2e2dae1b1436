// Keeps an upstream's early answer (a 413 before it read the body, then a reset) from being lost to the reset.

import { readSync } from "node:fs";
import type { Socket } from "node:net";

/** The failures of a write that mean the peer closed or reset the connection, not that our side broke. */
const PEER_GONE = new Set(["EPIPE", "ECONNRESET"]);

/** Most bytes read after a reset (an answer's head and a short body; more than that is cut as before). */
const MAX_BYTES = 256 * 1024;

type Destroy = (error: Error | null, callback: (error?: Error | null) => void) => void;

/**
 * An upstream that answers before it has read the whole request (say 413, as soon as the head shows too large
 * a body) and closes resets the connection while the body is still being written. Node then closes the socket on
 * the write's failure (EPIPE or ECONNRESET) before the answer, already in the kernel's receive queue, has been
 * read, and the client would get a 502 instead. Installed on a socket, this reads what was received (the kernel
 * keeps it after a reset) and hands it to `onData` before the socket is closed, whenever a write fails that way
 * while `waiting()` says an answer is still due. A no-op where this Node's socket has no file descriptor to read
 * (the answer is then lost as before).
 */
export function readEarlyAnswerOnWriteFailure(
  socket: Socket,
  waiting: () => boolean,
  onData: (data: Buffer) => void,
): void {
  const s = socket as unknown as { _destroy: Destroy; _handle?: { fd?: unknown } | null };
  const destroy = s._destroy;
  s._destroy = function (this: Socket, error, callback) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const syscall = (error as NodeJS.ErrnoException | null)?.syscall;
    const fd = s._handle?.fd;
    if (syscall === "write" && code !== undefined && PEER_GONE.has(code) && typeof fd === "number" && fd >= 0)
      readReceived(fd, waiting, onData);
    destroy.call(this, error, callback);
  };
}

/** Reads the socket's receive queue (non-blocking) while an answer is still due, up to MAX_BYTES. */
function readReceived(fd: number, waiting: () => boolean, onData: (data: Buffer) => void): void {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  while (waiting() && total < MAX_BYTES) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      return; // EAGAIN (nothing more), or the reset itself once the queue is empty
    }
    if (n === 0) return;
    total += n;
    onData(buffer.subarray(0, n));
  }
}
