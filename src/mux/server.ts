// A mux server: accepts connections, answers the handshake and pings, runs each dispatch through a handler.

import { createServer, type Server, type Socket } from "node:net";
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrameSize,
  MUX_FRAMER_KEY,
  MUX_VERSION,
  MuxConnection,
  peerWindowOf,
} from "./connection.ts";
import { type MuxDentry, type MuxMessage, type MuxPair, MuxStatus } from "./message.ts";

/** A request as the handler sees it. `signal` aborts when the client discards it or the connection ends. */
export interface MuxRequest {
  readonly body: Buffer;
  readonly contexts: readonly MuxPair[];
  readonly dst: string;
  readonly dtab: readonly MuxDentry[];
  readonly signal: AbortSignal;
}

/** Answers a request's body; a rejection is sent as an error reply (Rdispatch status 1) with its message. */
export type MuxHandler = (req: MuxRequest) => Promise<Buffer>;

export interface MuxServerOptions {
  readonly maxFrameBytes?: number;
  /** Called for every connection closed because of a protocol error (for logs and metrics). */
  readonly onProtocolError?: (e: Error) => void;
}

/** The reason given to handlers whose client discarded the request. */
export class MuxDiscardedError extends Error {
  constructor(why: string) {
    super(`discarded by the client: ${why}`);
    this.name = "MuxDiscardedError";
  }
}

/** One client connection's server side. */
class ServerSession {
  readonly #conn: MuxConnection;
  readonly #handler: MuxHandler;
  readonly #maxFrameBytes: number;
  /** Requests being handled, by tag. */
  readonly #inflight = new Map<number, { controller: AbortController; kind: "Tdispatch" | "Treq" }>();
  /** Until the first application message, Rerr is echoed (the "tinit check") and Tinit answered. */
  #negotiating = true;
  readonly #onGone: () => void;

  constructor(socket: Socket, handler: MuxHandler, options: MuxServerOptions, onGone: () => void) {
    this.#handler = handler;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#onGone = onGone;
    this.#conn = new MuxConnection(
      socket,
      {
        onMessage: (m) => this.#onMessage(m),
        onClose: (e) => {
          if (e !== undefined && e.name === "MuxProtocolError") options.onProtocolError?.(e);
          this.#abortAll("connection closed");
          this.#onGone();
        },
      },
      this.#maxFrameBytes,
    );
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  #onMessage(m: MuxMessage): void {
    switch (m.type) {
      case "Rerr":
        // Finagle clients ask "can you Tinit?" with a marker Rerr; echoing it back says yes.
        if (this.#negotiating) this.#conn.send(m);
        return;
      case "Tinit":
        if (m.version !== MUX_VERSION) {
          this.#conn.send({ type: "Rerr", tag: m.tag, why: `unsupported version ${m.version}, expected 1` });
          return;
        }
        this.#negotiating = false;
        this.#conn.peerWindow = peerWindowOf(m.headers);
        this.#conn.send({
          type: "Rinit",
          tag: m.tag,
          version: MUX_VERSION,
          headers: [[MUX_FRAMER_KEY, encodeFrameSize(this.#maxFrameBytes)]],
        });
        return;
      case "Tdispatch":
        this.#negotiating = false;
        this.#run(m.tag, "Tdispatch", m.body, m.contexts, m.dst, m.dtab);
        return;
      case "Treq":
        this.#negotiating = false;
        this.#run(m.tag, "Treq", m.body, [], "", []);
        return;
      case "Tping":
        this.#conn.send({ type: "Rping", tag: m.tag });
        return;
      case "Tdiscarded": {
        const r = this.#inflight.get(m.which);
        if (r === undefined) return;
        this.#inflight.delete(m.which);
        r.controller.abort(new MuxDiscardedError(m.why));
        this.#conn.send({ type: "Rdiscarded", tag: m.which });
        return;
      }
      case "Tdrain":
        this.#conn.send({ type: "Rdrain", tag: m.tag });
        return;
      case "Unknown":
        if (m.typeByte > 0 && m.tag !== 0) {
          this.#conn.send({ type: "Rerr", tag: m.tag, why: `unknown message type ${m.typeByte}` });
        }
        return;
      default:
        // Rping, Rdrain, Tlease and the like need nothing from a server.
        return;
    }
  }

  #run(
    tag: number,
    kind: "Tdispatch" | "Treq",
    body: Buffer,
    contexts: readonly MuxPair[],
    dst: string,
    dtab: readonly MuxDentry[],
  ): void {
    if (tag === 0 || this.#inflight.has(tag)) {
      this.#conn.send({
        type: "Rerr",
        tag,
        why: tag === 0 ? "a request needs a tag" : `tag ${tag} is in use`,
      });
      return;
    }
    const controller = new AbortController();
    const entry = { controller, kind };
    this.#inflight.set(tag, entry);
    let reply: Promise<Buffer>;
    try {
      reply = this.#handler({ body, contexts, dst, dtab, signal: controller.signal });
    } catch (e) {
      reply = Promise.reject(e);
    }
    reply.then(
      (out) => this.#reply(tag, entry, MuxStatus.Ok, out),
      (e: unknown) =>
        this.#reply(tag, entry, MuxStatus.Error, Buffer.from(String((e as Error)?.message ?? e))),
    );
  }

  #reply(tag: number, entry: { kind: "Tdispatch" | "Treq" }, status: MuxStatus, body: Buffer): void {
    // Discarded or cut off meanwhile: the answer has nowhere to go.
    if (this.#inflight.get(tag) !== entry) return;
    this.#inflight.delete(tag);
    if (entry.kind === "Treq") this.#conn.send({ type: "Rreq", tag, status, body });
    else this.#conn.send({ type: "Rdispatch", tag, status, contexts: [], body });
  }

  #abortAll(why: string): void {
    for (const r of this.#inflight.values()) r.controller.abort(new MuxDiscardedError(why));
    this.#inflight.clear();
  }

  /** Asks the client to go elsewhere: Tdrain, every request in flight refused (Nack), then the connection closed. */
  drainAndClose(): void {
    this.#conn.send({ type: "Tdrain", tag: 1 });
    for (const [tag, r] of this.#inflight) {
      if (r.kind === "Treq")
        this.#conn.send({ type: "Rreq", tag, status: MuxStatus.Nack, body: Buffer.alloc(0) });
      else
        this.#conn.send({
          type: "Rdispatch",
          tag,
          status: MuxStatus.Nack,
          contexts: [],
          body: Buffer.alloc(0),
        });
    }
    this.#abortAll("server closing");
    this.#conn.socket.end();
    const s = this.#conn.socket;
    setTimeout(() => s.destroy(), 1000).unref();
  }
}

/** Listens for mux clients and serves each dispatch with `handler`. */
export class MuxServer {
  readonly #server: Server;
  readonly #sessions = new Set<ServerSession>();

  constructor(handler: MuxHandler, options: MuxServerOptions = {}) {
    this.#server = createServer((socket) => {
      const session: ServerSession = new ServerSession(socket, handler, options, () =>
        this.#sessions.delete(session),
      );
      this.#sessions.add(session);
    });
  }

  get connections(): number {
    return this.#sessions.size;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.#server.once("error", onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off("error", onError);
        const a = this.#server.address();
        resolve({ host, port: typeof a === "object" && a !== null ? a.port : port });
      });
    });
  }

  /** Stops accepting, tells each client to drain, refuses what is in flight, and closes every connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const s of [...this.#sessions]) s.drainAndClose();
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
    });
  }
}
