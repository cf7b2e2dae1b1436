// Upstream connections and their per-endpoint pool: raw sockets with a strict response parser, reused when clean.

import { connect, type Socket } from "node:net";
import { DeadlineTimer } from "./deadline-timer.ts";
import { readEarlyAnswerOnWriteFailure } from "./early-answer.ts";
import { Http1Parser, type ParsedHead, ParseError } from "./llhttp.ts";
import { SHARED_READ_BUFFER } from "./shared-read-buffer.ts";

/** Receives one response from an upstream connection. */
export interface ResponseHandler {
  onHead(head: ParsedHead): void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
  /** Everything that arrived in one read has been passed on (the response is not complete yet). */
  onReadEnd(): void;
  /** The connection failed; `beforeHead` says whether any of the response had arrived. */
  onError(error: UpstreamFailure): void;
}

/** Why an upstream exchange failed, and whether the request can have had no effect (nothing was answered). */
export class UpstreamFailure extends Error {
  readonly code: string;
  /** True when the connection could not be made at all: the request never left. */
  readonly notSent: boolean;
  /** True when the failure came before any of the response: an error can still be answered. */
  readonly beforeHead: boolean;
  /** True on a pooled connection the upstream closed before answering (the keep-alive race): worth one retry. */
  readonly staleConnection: boolean;

  constructor(
    message: string,
    code: string,
    notSent: boolean,
    beforeHead: boolean,
    staleConnection: boolean,
  ) {
    super(message);
    this.name = "UpstreamFailure";
    this.code = code;
    this.notSent = notSent;
    this.beforeHead = beforeHead;
    this.staleConnection = staleConnection;
  }
}

export interface PoolOptions {
  /** Idle connections kept for reuse. */
  readonly maxIdle: number;
  /** How long an idle connection is kept. */
  readonly idleTimeMs: number;
  /** Idle connections kept whatever their idle time (Linkerd's `hostConnectionPool.minSize`). */
  readonly minIdle: number;
  /** Connections at most, busy or idle (`hostConnectionPool.maxSize`). */
  readonly maxSize: number;
  /** Requests that may wait for a connection while `maxSize` are busy (`hostConnectionPool.maxWaiters`). */
  readonly maxWaiters: number;
  /** A connection older than this is closed instead of reused (`clientSession.lifeTimeMs`). */
  readonly lifeTimeMs: number | undefined;
  /** Most bytes of response head accepted from the upstream. */
  readonly maxHeaderBytes: number;
}

/** Waits for a connection of a pool at its `maxSize`. */
export interface PoolWaiter {
  /** A connection is free for this waiter (already counted as in use). */
  connectionReady(c: UpstreamConnection): void;
}

/** One connection to an upstream, carrying one exchange at a time. */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly #pool: ConnectionPool;
  readonly #parser: Http1Parser;
  #handler: ResponseHandler | undefined;
  #skipBody = false;
  #gotHead = false;
  #keepAlive = true;
  #uses = 0;
  #connected = false;
  /** Closes the connection once it has been idle for the pool's idle time (see `idle`). */
  readonly #idleDeadline = new DeadlineTimer(() => this.#idleExpired());
  #idleMs = 0;
  closed = false;
  /** When the connection was opened (ms since the epoch), for `clientSession.lifeTimeMs`. */
  readonly openedAt: number;

  constructor(pool: ConnectionPool, socket: Socket, maxHeaderBytes: number, openedAt = 0) {
    this.#pool = pool;
    this.socket = socket;
    this.openedAt = openedAt;
    socket.setNoDelay(true);
    this.#parser = new Http1Parser("response", maxHeaderBytes, {
      onHead: (head) => {
        // Interim answers (100 Continue) are not passed on: the proxy already asked its client for the body.
        if (head.status >= 100 && head.status < 200) return true;
        this.#gotHead = true;
        this.#keepAlive = head.keepAlive;
        this.#handler?.onHead(head);
        return this.#skipBody;
      },
      onBody: (chunk) => this.#handler?.onBody(chunk),
      onComplete: () => {
        if (!this.#gotHead) return;
        const handler = this.#handler;
        this.#handler = undefined;
        handler?.onComplete();
      },
    });
    // An answer sent before the upstream reset the connection (an early 413) is read before the socket closes.
    readEarlyAnswerOnWriteFailure(
      socket,
      () => this.#handler !== undefined,
      (data) => this.read(data),
    );
    socket.on("error", (e: NodeJS.ErrnoException) => this.#fail(e.code ?? "ERR", e.message));
    socket.on("close", () => {
      if (this.#handler !== undefined) {
        try {
          // A body delimited by the end of the connection ends here; anything else is cut short.
          this.#parser.finish();
        } catch {
          // reported below
        }
      }
      this.#fail("ECONNRESET", "upstream closed the connection");
    });
  }

  /** Bytes read from the upstream (see `ConnectionPool`'s read buffer: valid only during this call). */
  read(data: Buffer): void {
    try {
      this.#parser.execute(data);
      this.#handler?.onReadEnd();
    } catch (e) {
      this.#fail((e as ParseError).code ?? "HPE", `invalid response from upstream: ${(e as Error).message}`);
    }
  }

  markConnected(): void {
    this.#connected = true;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Starts an exchange: writes the request head (and whatever body bytes are passed) and waits for the answer. */
  send(method: string, head: string, handler: ResponseHandler): void {
    this.#handler = handler;
    this.#skipBody = method === "HEAD";
    this.#gotHead = false;
    this.#uses++;
    this.#idleDeadline.clear();
    this.socket.write(head, "latin1");
  }

  /** Whether the connection can carry another exchange once this one is complete. */
  get reusable(): boolean {
    return !this.closed && this.#keepAlive && this.#handler === undefined;
  }

  #fail(code: string, message: string): void {
    const handler = this.#handler;
    this.#handler = undefined;
    const wasConnected = this.#connected;
    this.destroy();
    if (handler !== undefined) {
      const beforeHead = !this.#gotHead;
      handler.onError(
        new UpstreamFailure(
          message,
          code,
          !wasConnected,
          beforeHead,
          beforeHead && wasConnected && this.#uses > 1,
        ),
      );
    }
  }

  /** Parks the connection in the idle list, closing it if it stays unused past `ms` (unless the pool keeps it). */
  idle(ms: number): void {
    this.#idleMs = ms;
    this.#idleDeadline.set(ms);
  }

  #idleExpired(): void {
    if (this.#pool.keepsIdle(this)) this.#idleDeadline.set(this.#idleMs);
    else this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.#idleDeadline.dispose();
    this.socket.destroy();
    this.#parser.close();
    this.#pool.forget(this);
  }
}

/** The connections to one endpoint: idle ones reused most recently used first, new ones opened on demand. */
export class ConnectionPool {
  readonly ip: string;
  readonly port: number;
  readonly #options: PoolOptions;
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  readonly #waiters: PoolWaiter[] = [];
  #closed = false;
  /** Requests that had to wait for a connection (`pool_num_waited`). */
  waited = 0;
  /** Requests refused because too many were waiting (`pool_num_too_many_waiters`). */
  tooManyWaiters = 0;

  constructor(ip: string, port: number, options: PoolOptions) {
    this.ip = ip;
    this.port = port;
    this.#options = options;
  }

  get size(): number {
    return this.#all.size;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** Requests waiting for a connection (`pool_waiters`). */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * An idle connection if there is one, else a new one (connecting: writes are queued until it connects), or
   * undefined when `maxSize` connections are open already (then `wait`).
   */
  acquire(fresh = false): UpstreamConnection | undefined {
    if (!fresh) {
      for (;;) {
        const c = this.#idle.pop();
        if (c === undefined) break;
        if (!c.closed) return c;
      }
    }
    if (this.#all.size >= this.#options.maxSize) return undefined;
    return this.#open();
  }

  #open(): UpstreamConnection {
    // Reads go straight into the shared buffer and to the parser, past node:stream's queue and 'data' events.
    const socket = connect({
      host: this.ip,
      port: this.port,
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (n) => {
          c.read(SHARED_READ_BUFFER.subarray(0, n));
          return true;
        },
      },
    });
    const lifetime = this.#options.lifeTimeMs;
    const c: UpstreamConnection = new UpstreamConnection(
      this,
      socket,
      this.#options.maxHeaderBytes,
      lifetime === undefined ? 0 : Date.now(),
    );
    socket.once("connect", () => c.markConnected());
    this.#all.add(c);
    return c;
  }

  /**
   * Queues a request for the next free connection (after `acquire` gave none); false, and nothing queued, when
   * `maxWaiters` are waiting already.
   */
  wait(w: PoolWaiter): boolean {
    if (this.#waiters.length >= this.#options.maxWaiters) {
      this.tooManyWaiters++;
      return false;
    }
    this.waited++;
    this.#waiters.push(w);
    return true;
  }

  /** Takes a waiter out of the queue (its request was answered or cut). */
  cancelWait(w: PoolWaiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
  }

  /** Takes a connection back after a complete exchange; one that cannot be reused is closed. */
  release(c: UpstreamConnection): void {
    const lifetime = this.#options.lifeTimeMs;
    if (
      this.#closed ||
      !c.reusable ||
      this.#idle.length >= this.#options.maxIdle ||
      (lifetime !== undefined && Date.now() - c.openedAt >= lifetime)
    ) {
      c.destroy();
      return;
    }
    const w = this.#waiters.shift();
    if (w !== undefined) {
      w.connectionReady(c);
      return;
    }
    c.idle(this.#options.idleTimeMs);
    this.#idle.push(c);
  }

  /** Whether an idle connection whose idle time is up is kept anyway (the pool is at `minSize`). */
  keepsIdle(c: UpstreamConnection): boolean {
    return !this.#closed && this.#all.size <= this.#options.minIdle && this.#idle.includes(c);
  }

  forget(c: UpstreamConnection): void {
    this.#all.delete(c);
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
    // A slot is free: the first waiter gets a new connection.
    if (this.#waiters.length > 0 && !this.#closed && this.#all.size < this.#options.maxSize) {
      (this.#waiters.shift() as PoolWaiter).connectionReady(this.#open());
    }
  }

  /** Closes idle connections now and busy ones as soon as their exchange completes. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.destroy();
  }
}

export { ParseError };
