// One client connection of a router's server: parses requests strictly, routes each, and relays it to an upstream.

import type { Socket } from "node:net";
import { HeaderList, lowerCaseName } from "../http/header-list.ts";
import type { HttpVersion } from "../http/message.ts";
import { RouterError } from "../router/router-errors.ts";
import { DeadlineTimer } from "./deadline-timer.ts";
import { AfterFailure, type ExchangeRoute } from "./exchange-route.ts";
import {
  CRLF,
  chunkHeader,
  LAST_CHUNK,
  reason,
  requestHead,
  responseHasBody,
  responseHead,
} from "./framing.ts";
import { Http1Parser, type ParsedHead, ParseError } from "./llhttp.ts";
import { readIntoSharedBuffer } from "./shared-read-buffer.ts";
import type { PoolWaiter, ResponseHandler, UpstreamConnection, UpstreamFailure } from "./upstream.ts";

/** At most this many header lines in a request (Envoy's limit); more is answered 431. */
export const MAX_HEADER_LINES = 100;

/** A first piece of response body up to this size goes out in the same write as the head. */
const SMALL_BODY_BYTES = 16 * 1024;

/**
 * How long a connection answered before its request body ended is still read (and the bytes dropped) after the
 * answer, so that the client reads the answer rather than a reset (nginx's `lingering_timeout`, 5 s).
 */
const LINGER_MS = 5_000;

/**
 * Writes one piece of a chunked body: its size line, the piece and its CRLF, each whatever the socket's buffer
 * holds (a write that returns false has still queued its bytes); false when the buffer is full (wait for drain).
 */
function writeChunk(socket: Socket, chunk: Buffer): boolean {
  socket.write(chunkHeader(chunk.length), "latin1");
  socket.write(chunk);
  return socket.write(CRLF, "latin1");
}

/** What the connection needs from the router it serves. */
export interface ConnectionRouter {
  /** Where the request goes: at once when known, else a Promise; throws or rejects with a RouterError. */
  route(request: Exchange, started: number): ExchangeRoute | Promise<ExchangeRoute>;
  /** Rewrites a response head for the client; true when its body must be dropped (clearContext). */
  responseHeaders(headers: HeaderList, version: HttpVersion, route: ExchangeRoute): boolean;
  errorResponse(
    err: RouterError,
    version: HttpVersion,
  ): { status: number; headers: HeaderList; body: Buffer };
  upstreamError(route: ExchangeRoute, failure: UpstreamFailure): RouterError;
  /** A request was refused before routing (limits, framing); for metrics. */
  refused(status: number): void;
  /** A request reached the router (counted when it starts and again with its status when it ends). */
  started(): void;
  /** `success` is the router's classification of the answer, when it has one. */
  finished(status: number | undefined, ms: number, success?: boolean): void;
  now(): number;
}

export interface ConnectionLimits {
  readonly maxHeaderBytes: number;
  readonly maxHeaderLinesBytes: number;
  readonly maxTargetBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** One request on its way through: its head, its body as it arrives, and the upstream it is relayed to. */
export class Exchange {
  readonly method: string;
  target: string;
  readonly version: HttpVersion;
  readonly headers: HeaderList;
  readonly keepAlive: boolean;
  /** The body's declared length, or undefined when chunked; 0 when there is none. */
  readonly contentLength: number | undefined;
  readonly hasBody: boolean;
  readonly expectContinue: boolean;
  readonly upgrade: boolean;
  /**
   * Body chunks received: every one while they fit the route's replay buffer (`keep`), so the request can be
   * sent again; after that, only those not written upstream yet.
   */
  body: Buffer[] = [];
  /** How many of `body` went to the current upstream. */
  written = 0;
  /** Body bytes received so far. */
  received = 0;
  /** Whether every body byte received so far is in `body`. */
  keep = true;
  requestEnded = false;
  upstream: UpstreamConnection | undefined;
  route: ExchangeRoute | undefined;
  /** Numbers the attempts, so that callbacks of an abandoned attempt can tell. */
  attempt = 0;
  /** The attempt's time limit, or the wait before a retry. */
  timer: NodeJS.Timeout | undefined;
  /** Set while waiting for a connection of a full pool. */
  waiter: PoolWaiter | undefined;
  /** `100 Continue` was sent to the client already. */
  continued = false;
  responseStarted = false;
  /** Counted as started by the router (requests pipelined behind the one answered are not yet). */
  counted = false;
  /** The status answered, once known. */
  status: number | undefined;
  done = false;

  constructor(head: ParsedHead) {
    this.method = head.method;
    this.target = head.target;
    this.version = head.versionMajor === 1 && head.versionMinor === 0 ? "1.0" : "1.1";
    // The parser hands each head a fresh array, used for nothing else from here on: taken over, not copied.
    this.headers = new HeaderList(head.raw, true);
    this.keepAlive = head.keepAlive && !head.upgrade;
    this.upgrade = head.upgrade;
    const te = this.headers.get("transfer-encoding");
    const cl = this.headers.get("content-length");
    this.contentLength = te !== undefined ? undefined : cl === undefined ? 0 : Number(cl);
    this.hasBody = te !== undefined || (this.contentLength ?? 0) > 0;
    this.expectContinue = /^\s*100-continue\s*$/i.test(this.headers.get("expect") ?? "");
  }
}

function headerBytes(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) n += (raw[i] as string).length + (raw[i + 1] as string).length + 4;
  return n;
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (lowerCaseName(raw[i] as string) === "host") n++;
  return n;
}

/** Whether the request can be sent again: its whole body so far is kept (or none has arrived). */
function replayable(ex: Exchange): boolean {
  return ex.keep || ex.received === 0;
}

/** Whether the current upstream has had every body chunk received so far. */
function allWritten(ex: Exchange): boolean {
  return ex.keep ? ex.written === ex.body.length : ex.body.length === 0;
}

/** Why a request head is refused before routing, or undefined when it may be routed. */
function refusal(
  head: ParsedHead,
  limits: ConnectionLimits,
): { status: number; message: string } | undefined {
  const raw = head.raw;
  if (raw.length / 2 > MAX_HEADER_LINES)
    return { status: 431, message: `more than ${MAX_HEADER_LINES} header lines` };
  if (headerBytes(raw) > limits.maxHeaderLinesBytes) {
    return { status: 431, message: `header lines longer than ${limits.maxHeaderLinesBytes} bytes in all` };
  }
  if (Buffer.byteLength(head.target) > limits.maxTargetBytes) {
    return { status: 414, message: `request target longer than ${limits.maxTargetBytes} bytes` };
  }
  if (head.method === "CONNECT")
    return { status: 405, message: "CONNECT is not supported: trellis does not tunnel" };
  const te: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (lowerCaseName(raw[i] as string) === "transfer-encoding") te.push(raw[i + 1] as string);
  if (te.length > 0 && !(te.length === 1 && /^\s*chunked\s*$/i.test(te[0] as string))) {
    // A coding besides chunked would be lost when the body is re-framed (RFC 9112 6.1: answer 501).
    return {
      status: 501,
      message: `Transfer-Encoding ${JSON.stringify(te.join(", "))} is not supported (only chunked)`,
    };
  }
  const hosts = hostCount(raw);
  if (hosts > 1) return { status: 400, message: "more than one Host header" };
  if (hosts === 0 && head.versionMinor === 1)
    return { status: 400, message: "an HTTP/1.1 request needs a Host header" };
  if (
    head.upgrade &&
    (head.method === "CONNECT" ||
      te.length > 0 ||
      raw.some((_, i) => i % 2 === 0 && raw[i]?.toLowerCase() === "content-length" && raw[i + 1] !== "0"))
  ) {
    return { status: 400, message: "a request that asks to upgrade cannot carry a body here" };
  }
  return undefined;
}

/** What an attempt calls on its connection as its answer arrives. */
interface Relay {
  head(a: Attempt, head: ParsedHead): void;
  body(a: Attempt, chunk: Buffer): void;
  complete(a: Attempt): void;
  readEnd(a: Attempt): void;
  error(a: Attempt, failure: UpstreamFailure): void;
}

/** One attempt of an exchange on one upstream connection, and the state of relaying its answer. */
class Attempt implements ResponseHandler {
  readonly relay: Relay;
  readonly ex: Exchange;
  readonly route: ExchangeRoute;
  readonly started: number;
  readonly up: UpstreamConnection;
  /** The exchange's attempt number when this one began: callbacks of an abandoned attempt can tell. */
  readonly token: number;
  /** This attempt's answer is not passed on (it is retried): its body is read and dropped. */
  discard = false;
  /** Whether the whole request went out on this connection before it was abandoned (so it can be reused). */
  sentWhole = false;
  /** The answer is re-framed as chunked for the client. */
  chunked = false;
  /** The answer's body is dropped (clearContext). */
  dropBody = false;
  /** The answer has no body (HEAD, 204, 304). */
  bodyless = false;
  /** The response head, held until the body's first bytes or the end of the read, to go out in one write. */
  held: string | undefined = undefined;

  constructor(
    relay: Relay,
    ex: Exchange,
    route: ExchangeRoute,
    started: number,
    up: UpstreamConnection,
    token: number,
  ) {
    this.relay = relay;
    this.ex = ex;
    this.route = route;
    this.started = started;
    this.up = up;
    this.token = token;
  }

  onHead(head: ParsedHead): void {
    this.relay.head(this, head);
  }

  onBody(chunk: Buffer): void {
    this.relay.body(this, chunk);
  }

  onComplete(): void {
    this.relay.complete(this);
  }

  onReadEnd(): void {
    this.relay.readEnd(this);
  }

  onError(failure: UpstreamFailure): void {
    this.relay.error(this, failure);
  }
}

/**
 * Serves one client connection: requests are parsed by llhttp in strict mode and answered in order, one at a
 * time; requests pipelined behind wait (the socket is paused, so at most one read is buffered). Bodies stream
 * both ways with back-pressure and are re-framed by us. Nothing more is read after a refusal.
 */
export class ClientConnection {
  readonly #socket: Socket;
  readonly #router: ConnectionRouter;
  readonly #limits: ConnectionLimits;
  readonly #parser: Http1Parser;
  readonly #queue: Exchange[] = [];
  /** The exchange whose body the parser is delivering. */
  #parsing: Exchange | undefined;
  /** The exchange being answered (the head of the queue). */
  #active: Exchange | undefined;
  #closing = false;
  /**
   * The answer under way says `Connection: close`: the connection ends once it is out, and no request after
   * it is taken; unlike `#closing`, the body of the request being answered is still read and relayed.
   */
  #closeAfterAnswer = false;
  #destroyed = false;
  /** The headers, request or keep-alive timeout, whichever the connection is in. */
  readonly #deadline = new DeadlineTimer(() => this.#onTimeout());
  /** Relays each attempt's answer to the client: made once per connection, so an attempt is one small object. */
  readonly #relay: Relay = {
    head: (a, head) => this.#relayHead(a, head),
    body: (a, chunk) => this.#relayBody(a, chunk),
    complete: (a) => this.#relayComplete(a),
    readEnd: (a) => this.#flushHead(a),
    error: (a, failure) => this.#relayError(a, failure),
  };

  constructor(socket: Socket, router: ConnectionRouter, limits: ConnectionLimits) {
    this.#socket = socket;
    this.#router = router;
    this.#limits = limits;
    socket.setNoDelay(true);
    this.#parser = new Http1Parser("request", limits.maxHeaderBytes, {
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#onBody(chunk),
      onComplete: () => this.#onComplete(),
    });
    this.#deadline.set(limits.headersTimeoutMs);
    if (!readIntoSharedBuffer(socket, (data) => this.#onData(data)))
      socket.on("data", (data: Buffer) => this.#onData(data));
    socket.on("error", () => this.#destroy());
    socket.on("close", () => this.#destroy());
    socket.on("drain", () => this.#active?.upstream?.socket.resume());
  }

  #onData(data: Buffer): void {
    // Once the request being answered is all in, nothing after it is read on a connection that is to close.
    if (this.#closing || (this.#closeAfterAnswer && this.#parsing === undefined)) return;
    if (this.#queue.length === 0 && this.#parsing === undefined) {
      // The first bytes of a new request: its head must be complete within the headers timeout.
      this.#deadline.set(this.#limits.headersTimeoutMs);
    }
    try {
      this.#parser.execute(data);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      if (e.code === "HPE_PAUSED_UPGRADE") {
        // llhttp stops after a request that asks to upgrade; nothing after it on this connection is read.
        this.#socket.pause();
        return;
      }
      const status = e.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      if (this.#parsing !== undefined && this.#parsing.upstream !== undefined) {
        // The body turned out bad after its head went upstream: that exchange cannot complete.
        this.#destroy();
        return;
      }
      this.#refuse(status, `malformed request: ${e.message}`);
    }
  }

  #onTimeout(): void {
    if (this.#closing && this.#queue.length === 0) {
      // Answered and on its way out (lingering): done waiting for the client to close.
      this.#destroy();
      return;
    }
    if (this.#active?.responseStarted || (this.#active?.requestEnded && this.#active.route !== undefined)) {
      // The request is in; waiting for the upstream is not the client's slowness.
      return;
    }
    if (this.#queue.length === 0 && this.#parsing === undefined) {
      this.#destroy();
      return;
    }
    this.#refuse(408, "request not received in time");
  }

  #onHead(head: ParsedHead): boolean {
    // No request after one whose answer ends the connection is taken (nor answered).
    if (this.#closing || this.#closeAfterAnswer) return true;
    const refused = refusal(head, this.#limits);
    if (refused !== undefined) {
      this.#refuse(refused.status, refused.message);
      return true;
    }
    const ex = new Exchange(head);
    this.#queue.push(ex);
    if (head.upgrade) {
      // Answered as an ordinary request without a body (checked above), then the connection is closed.
      ex.requestEnded = true;
    } else {
      this.#parsing = ex;
    }
    this.#deadline.set(this.#limits.requestTimeoutMs);
    if (this.#queue.length > 1 || ex.hasBody) this.#socket.pause();
    if (this.#active === undefined) this.#next();
    return false;
  }

  #onBody(chunk: Buffer): void {
    const ex = this.#parsing;
    if (ex === undefined || this.#closing) return;
    ex.received += chunk.length;
    const live = ex.upstream !== undefined;
    if (ex.keep) {
      // Kept for a resend while it fits (before routing the limit is not known yet: kept, as it waits anyway).
      if (ex.route === undefined || ex.received <= ex.route.replayBytes) {
        ex.body.push(chunk);
        if (live && ex.written === ex.body.length - 1) {
          this.#writeBody(ex, chunk);
          ex.written++;
        }
        return;
      }
      // Too long to keep: the request cannot be sent again; keep only what has not gone out yet.
      ex.keep = false;
      ex.body.splice(0, ex.written);
      ex.written = 0;
    }
    if (live && ex.body.length === 0) this.#writeBody(ex, chunk);
    else ex.body.push(chunk);
  }

  #onComplete(): void {
    const ex = this.#parsing;
    this.#parsing = undefined;
    if (ex === undefined) return;
    ex.requestEnded = true;
    if (ex.upstream !== undefined && allWritten(ex)) this.#endBody(ex);
  }

  /** Writes the body chunks the current upstream has not had yet (all of them for a new attempt). */
  #flushBody(ex: Exchange): void {
    const body = ex.body;
    if (ex.keep && ex.route !== undefined && ex.received > ex.route.replayBytes) {
      // Arrived before routing and too long to keep.
      ex.keep = false;
      body.splice(0, ex.written);
      ex.written = 0;
    }
    for (let i = ex.written; i < body.length; i++) this.#writeBody(ex, body[i] as Buffer);
    if (ex.keep) ex.written = body.length;
    else {
      body.length = 0;
      ex.written = 0;
    }
    if (ex.requestEnded) this.#endBody(ex);
  }

  #writeBody(ex: Exchange, chunk: Buffer): void {
    const up = ex.upstream as UpstreamConnection;
    const ok = ex.contentLength === undefined ? writeChunk(up.socket, chunk) : up.socket.write(chunk);
    if (!ok) {
      this.#socket.pause();
      up.socket.once("drain", () => {
        if (ex === this.#active && !this.#closing) this.#socket.resume();
      });
    }
  }

  #endBody(ex: Exchange): void {
    if (ex.contentLength === undefined && ex.hasBody) ex.upstream?.socket.write(LAST_CHUNK, "latin1");
  }

  /** Starts answering the next queued request, if any. */
  #next(): void {
    const ex = this.#queue[0];
    this.#active = ex;
    if (ex === undefined) {
      if (!this.#closing) {
        this.#socket.resume();
        this.#deadline.set(this.#limits.keepAliveTimeoutMs);
      }
      return;
    }
    this.#run(ex);
  }

  #run(ex: Exchange): void {
    const started = this.#router.now();
    ex.counted = true;
    this.#router.started();
    let route: ExchangeRoute | Promise<ExchangeRoute>;
    try {
      route = this.#router.route(ex, started);
    } catch (e) {
      // Answered once the parser is done with what it was given: a request body in the same read is then
      // read (and the connection kept) rather than cut.
      queueMicrotask(() => this.#routeFailed(ex, e, started));
      return;
    }
    if (route instanceof Promise) {
      route.then(
        (r) => this.#routed(ex, r, started),
        (e) => this.#routeFailed(ex, e, started),
      );
    } else {
      this.#routed(ex, route, started);
    }
  }

  #routeFailed(ex: Exchange, e: unknown, started: number): void {
    const err = e instanceof RouterError ? e : new RouterError(502, (e as Error).message);
    this.#answerError(ex, err, started);
  }

  #routed(ex: Exchange, route: ExchangeRoute, started: number): void {
    if (this.#closing) {
      route.done(undefined, "client closed");
      return;
    }
    ex.route = route;
    this.#attempt(ex, route, started);
  }

  /** Starts an attempt on the route's current endpoint: a pooled or new connection, or a wait for one. */
  #attempt(ex: Exchange, route: ExchangeRoute, started: number): void {
    const now = this.#router.now();
    if (now >= route.expiresAt) {
      this.#expire(ex, route, started);
      return;
    }
    const token = ++ex.attempt;
    const limit = route.startAttempt(ex.headers, now);
    if (limit !== Number.POSITIVE_INFINITY) {
      const whole = limit >= route.expiresAt;
      ex.timer = setTimeout(() => this.#timedOut(ex, route, started, token, whole), Math.max(0, limit - now));
    }
    const pool = route.endpoint.pool;
    const up = pool.acquire();
    if (up !== undefined) {
      this.#send(ex, route, started, up, token);
      return;
    }
    // Every connection to the endpoint is busy (hostConnectionPool.maxSize): wait, unless too many wait already.
    const waiter: PoolWaiter = {
      connectionReady: (c) => {
        ex.waiter = undefined;
        if (token === ex.attempt && !ex.done) this.#send(ex, route, started, c, token);
        else pool.release(c);
      },
    };
    if (pool.wait(waiter)) {
      ex.waiter = waiter;
      return;
    }
    this.#clearTimer(ex);
    route.done(undefined, "TooManyWaitersException");
    this.#answerError(ex, route.poolExhausted(), started);
  }

  #clearTimer(ex: Exchange): void {
    if (ex.timer !== undefined) {
      clearTimeout(ex.timer);
      ex.timer = undefined;
    }
  }

  /** Gives up the current attempt: its connection is closed (it carries an unfinished exchange), its wait ended. */
  #abandon(ex: Exchange): void {
    this.#clearTimer(ex);
    ex.attempt++;
    if (ex.waiter !== undefined) {
      ex.route?.endpoint.pool.cancelWait(ex.waiter);
      ex.waiter = undefined;
    }
    const up = ex.upstream;
    ex.upstream = undefined;
    up?.destroy();
  }

  /** The whole request's time is up before an answer began. */
  #expire(ex: Exchange, route: ExchangeRoute, started: number): void {
    this.#abandon(ex);
    route.done(undefined, "GlobalRequestTimeoutException");
    this.#answerError(ex, route.expired(), started);
  }

  /** The attempt's time limit (or, when `whole`, the whole request's) passed with no answer begun. */
  #timedOut(ex: Exchange, route: ExchangeRoute, started: number, token: number, whole: boolean): void {
    ex.timer = undefined;
    if (token !== ex.attempt || ex.done || ex.responseStarted) return;
    const now = this.#router.now();
    // Timers may fire a fraction of a millisecond early by this clock: the limit says which one it was.
    if (whole || now >= route.expiresAt) {
      this.#expire(ex, route, started);
      return;
    }
    this.#abandon(ex);
    const next = route.failure("IndividualRequestTimeoutException", false, replayable(ex), now);
    if (next !== AfterFailure.fail) {
      this.#retry(ex, route, started, next === AfterFailure.requeue ? 0 : route.retryDelayMs);
      return;
    }
    route.done(undefined, "IndividualRequestTimeoutException");
    this.#answerError(ex, route.attemptTimedOut(), started);
  }

  /** Sends the request again after `delayMs`, to a newly picked endpoint. */
  #retry(ex: Exchange, route: ExchangeRoute, started: number, delayMs: number): void {
    const again = () => {
      ex.timer = undefined;
      if (ex.done || this.#closing) return;
      const now = this.#router.now();
      if (now >= route.expiresAt) {
        this.#expire(ex, route, started);
        return;
      }
      const none = route.repick(now);
      if (none !== undefined) {
        route.done(undefined, "NoBrokersAvailableException");
        this.#answerError(ex, none, started);
        return;
      }
      ex.written = 0;
      this.#attempt(ex, route, started);
    };
    if (delayMs <= 0) {
      // Not from inside the failed connection's own callbacks.
      process.nextTick(again);
      return;
    }
    ex.timer = setTimeout(again, delayMs);
  }

  #send(ex: Exchange, route: ExchangeRoute, started: number, up: UpstreamConnection, token: number): void {
    ex.upstream = up;
    const headers = ex.headers;
    headers.delete("content-length");
    headers.delete("transfer-encoding");
    if (ex.contentLength !== undefined && ex.contentLength > 0)
      headers.add("Content-Length", String(ex.contentLength));
    else if (ex.hasBody) headers.add("Transfer-Encoding", "chunked");
    up.send(
      ex.method,
      requestHead(ex.method, ex.target, headers),
      new Attempt(this.#relay, ex, route, started, up, token),
    );
    if (ex.expectContinue && ex.hasBody && !ex.continued) {
      ex.continued = true;
      this.#socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
    }
    this.#flushBody(ex);
    if (!ex.requestEnded && this.#queue.length === 1) this.#socket.resume();
  }

  /** Writes the held response head, if any. */
  #flushHead(a: Attempt): void {
    if (a.held === undefined) return;
    this.#socket.write(a.held, "latin1");
    a.held = undefined;
  }

  #relayHead(a: Attempt, head: ParsedHead): void {
    const { ex, route } = a;
    if (a.token !== ex.attempt) {
      a.discard = true;
      return;
    }
    if (!route.response(head.status, head.raw, replayable(ex), this.#router.now())) {
      // Retried: this answer is dropped; its connection is reused if the exchange completes cleanly.
      a.discard = true;
      a.sentWhole = ex.requestEnded && allWritten(ex);
      this.#clearTimer(ex);
      ex.attempt++;
      ex.upstream = undefined;
      this.#retry(ex, route, a.started, route.retryDelayMs);
      return;
    }
    this.#clearTimer(ex);
    if (ex.keep) {
      // Committed to this answer: nothing will be sent again, so nothing more is kept.
      ex.keep = false;
      ex.body = [];
      ex.written = 0;
    }
    ex.responseStarted = true;
    ex.status = head.status;
    const out = new HeaderList(head.raw, true);
    a.dropBody = this.#router.responseHeaders(out, head.versionMinor === 0 ? "1.0" : "1.1", route);
    a.bodyless = !responseHasBody(ex.method, head.status);
    const hasLength = out.has("content-length");
    if (a.dropBody) {
      out.delete("content-length");
      out.add("Content-Length", "0");
    } else if (!a.bodyless && !hasLength) {
      if (ex.version === "1.1") {
        out.add("Transfer-Encoding", "chunked");
        a.chunked = true;
      } else {
        // An HTTP/1.0 client reads to the end of the connection.
        out.add("Connection", "close");
        this.#closeAfterAnswer = true;
      }
    }
    // The connection ends with this answer when the client asked for that, or when the answer came before the
    // whole request (an early 413, say: the upstream may never read the rest of the body). Either way the body
    // still goes on to the upstream while it answers: it may be reading it as it answers.
    if (!ex.keepAlive || !ex.requestEnded) {
      if (!out.has("connection")) out.add("Connection", "close");
      this.#closeAfterAnswer = true;
    }
    a.held = responseHead(head.status, head.statusText, out);
    route.done(head.status);
  }

  #relayBody(a: Attempt, chunk: Buffer): void {
    if (a.discard || a.dropBody || a.bodyless || this.#socket.destroyed) return;
    const held = a.held;
    if (held !== undefined && chunk.length <= SMALL_BODY_BYTES) {
      // Head and a small first piece of body in one write (one string, no writev).
      const body = chunk.toString("latin1");
      const ok = this.#socket.write(
        a.chunked ? `${held}${chunkHeader(chunk.length)}${body}${CRLF}` : held + body,
        "latin1",
      );
      a.held = undefined;
      if (!ok) a.up.socket.pause();
      return;
    }
    this.#flushHead(a);
    const ok = a.chunked ? writeChunk(this.#socket, chunk) : this.#socket.write(chunk);
    if (!ok) a.up.socket.pause();
  }

  #relayComplete(a: Attempt): void {
    const { ex, route, up } = a;
    if (a.discard) {
      if (a.sentWhole) route.endpoint.pool.release(up);
      else up.destroy();
      return;
    }
    if (a.held !== undefined) {
      this.#socket.write(a.chunked ? a.held + LAST_CHUNK : a.held, "latin1");
      a.held = undefined;
    } else if (a.chunked) {
      this.#socket.write(LAST_CHUNK, "latin1");
    }
    ex.upstream = undefined;
    // A connection is reused only when both directions ended cleanly.
    if (ex.requestEnded) route.endpoint.pool.release(up);
    else {
      up.destroy();
      // The rest of the request's body has nowhere to go: dropped as it arrives, never kept.
      this.#closing = true;
    }
    this.#finish(ex, a.started);
  }

  #relayError(a: Attempt, failure: UpstreamFailure): void {
    this.#flushHead(a);
    const { ex, route } = a;
    if (a.discard || a.token !== ex.attempt) return;
    this.#clearTimer(ex);
    ex.upstream = undefined;
    if (!failure.beforeHead || ex.responseStarted) {
      // Part of the answer is out: the client must see it cut, not whole.
      route.done(undefined, failure.code);
      this.#destroy();
      return;
    }
    // Requeued: a connection that could not be made, or a pooled one the upstream had closed (the
    // keep-alive race) when the request had no body, as before.
    const next = route.failure(
      failure.code,
      failure.notSent || (failure.staleConnection && !ex.hasBody),
      replayable(ex),
      this.#router.now(),
    );
    if (next !== AfterFailure.fail) {
      this.#retry(ex, route, a.started, next === AfterFailure.requeue ? 0 : route.retryDelayMs);
      return;
    }
    route.done(undefined, failure.code);
    this.#answerError(ex, this.#router.upstreamError(route, failure), a.started);
  }

  #answerError(ex: Exchange, err: RouterError, started: number): void {
    const res = this.#router.errorResponse(err, ex.version);
    ex.status = res.status;
    if (!ex.keepAlive || !ex.requestEnded) {
      // A body still arriving, or a client that asked to close: answer and close.
      res.headers.add("Connection", "close");
      this.#closing = true;
    }
    this.#socket.write(responseHead(res.status, reason(res.status), res.headers), "latin1");
    if (res.body.length > 0) this.#socket.write(res.body);
    this.#finish(ex, started);
  }

  #finish(ex: Exchange, started: number): void {
    if (ex.done) return;
    ex.done = true;
    this.#clearTimer(ex);
    ex.body = [];
    const route = ex.route;
    this.#router.finished(
      ex.status,
      this.#router.now() - started,
      route !== undefined && ex.responseStarted ? route.succeeded : undefined,
    );
    this.#queue.shift();
    if (this.#closing || this.#closeAfterAnswer) {
      this.#closing = true;
      this.#socket.end();
      if (!ex.requestEnded) {
        // The client may still be sending the body: read and drop it for a while, so that closing with its
        // bytes unread does not reset the connection before the client has read the answer.
        this.#socket.resume();
        this.#deadline.set(LINGER_MS);
      }
      return;
    }
    this.#next();
  }

  /** Closes the connection now if it is idle, else as soon as the exchange under way is answered. */
  drain(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#queue.length === 0) this.#socket.end();
  }

  /** Answers a request refused before routing and closes: nothing more is read from this connection. */
  #refuse(status: number, message: string): void {
    if (this.#closing) return;
    if (this.#queue.some((ex) => ex.route !== undefined || ex.responseStarted)) {
      // An exchange is already under way with an upstream: it cannot be answered any more, only cut.
      this.#destroy();
      return;
    }
    this.#router.refused(status);
    this.#closing = true;
    for (const ex of this.#queue) {
      // Still being routed: counted as ended here; the routing result is dropped when it comes.
      if (!ex.done) {
        ex.done = true;
        if (ex.counted) this.#router.finished(undefined, 0);
      }
    }
    this.#queue.length = 0;
    const body = `${message}\n`;
    this.#socket.end(
      `HTTP/1.1 ${status} ${reason(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      "latin1",
    );
  }

  #destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#deadline.dispose();
    this.#closing = true;
    for (const ex of this.#queue) {
      if (!ex.done) {
        ex.done = true;
        this.#abandon(ex);
        ex.route?.done(undefined, "client closed");
        if (ex.counted) this.#router.finished(undefined, 0);
      }
    }
    this.#queue.length = 0;
    this.#active = undefined;
    this.#socket.destroy();
    this.#parser.close();
  }
}
