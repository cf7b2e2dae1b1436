// A mux client session: Finagle's handshake, tagged dispatches, pings that detect a dead peer, drains and discards.

import { connect, type Socket } from "node:net";
import { type Timers, unrefTimers } from "../naming/index.ts";
import {
  CAN_TINIT_MESSAGE,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrameSize,
  MUX_FRAMER_KEY,
  MUX_VERSION,
  MuxConnection,
  peerWindowOf,
} from "./connection.ts";
import { MAX_TAG, type MuxMessage, MuxStatus } from "./message.ts";

/** Tag 1 is used by the handshake and then by pings; dispatches use tags from 2. */
const HANDSHAKE_TAG = 1;
const PING_TAG = 1;
const FIRST_DISPATCH_TAG = 2;

/** The connection ended (or was never made) before the answer came: safe to retry on another connection. */
export class MuxClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MuxClosedError";
  }
}

/** The server refused the request without processing it (Nack): safe to retry. */
export class MuxNackError extends Error {
  constructor() {
    super("the server refused the request (nack)");
    this.name = "MuxNackError";
  }
}

/** The server answered with an error (Rdispatch status 1, or Rerr). */
export class MuxRemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MuxRemoteError";
  }
}

export interface MuxClientOptions {
  /** How often to ping the server while connected (Linkerd's failureThreshold.minPeriodMs); 0 turns pings off. */
  readonly pingIntervalMs?: number;
  /** How long a ping may go unanswered before the connection is closed as dead (closeTimeoutMs). */
  readonly pingTimeoutMs?: number;
  /** How long connecting and the handshake may take. */
  readonly connectTimeoutMs?: number;
  readonly maxFrameBytes?: number;
  readonly timers?: Timers;
}

interface Outstanding {
  resolve(body: Buffer): void;
  reject(e: Error): void;
  /** Discarded by us: the answer, when it comes, is dropped; the tag is freed then. */
  discarded: boolean;
}

/** One connection to a mux server. Use `MuxClientSession.connect`; make a new one when it closes. */
export class MuxClientSession {
  readonly #conn: MuxConnection;
  readonly #options: MuxClientOptions;
  readonly #timers: Timers;
  readonly #outstanding = new Map<number, Outstanding>();
  readonly #closeListeners: ((e: Error | undefined) => void)[] = [];
  #nextTag = FIRST_DISPATCH_TAG;
  #draining = false;
  #closedError: Error | undefined;
  #closed = false;
  #pingTimer: unknown;
  #pingDeadline: unknown;
  /** The handshake's wait for the server's next message. */
  #handshakeWaiter: ((m: MuxMessage) => void) | undefined;
  /** The latest lease the server granted (ms), for diagnostics; mux leases are advisory. */
  leaseMs: bigint | undefined;

  private constructor(socket: Socket, options: MuxClientOptions) {
    this.#options = options;
    this.#timers = options.timers ?? unrefTimers;
    this.#conn = new MuxConnection(
      socket,
      { onMessage: (m) => this.#onMessage(m), onClose: (e) => this.#onClose(e) },
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    );
  }

  /** Connects and completes the handshake (Finagle's: an Rerr "tinit check", then Tinit/Rinit). */
  static connect(host: string, port: number, options: MuxClientOptions = {}): Promise<MuxClientSession> {
    const timers = options.timers ?? unrefTimers;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      let done = false;
      const fail = (e: Error) => {
        if (done) return;
        done = true;
        timers.clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = timers.setTimeout(
        () => fail(new MuxClosedError(`connecting to ${host}:${port} timed out`)),
        options.connectTimeoutMs ?? 5000,
      );
      socket.once("error", (e) =>
        fail(new MuxClosedError(`cannot connect to ${host}:${port}: ${e.message}`)),
      );
      socket.once("connect", () => {
        const session = new MuxClientSession(socket, options);
        session.#handshake().then(
          () => {
            if (done) return;
            done = true;
            timers.clearTimeout(timer);
            session.#startPings();
            resolve(session);
          },
          (e: Error) => {
            session.close();
            fail(e);
          },
        );
      });
    });
  }

  async #handshake(): Promise<void> {
    this.#conn.send({ type: "Rerr", tag: HANDSHAKE_TAG, why: CAN_TINIT_MESSAGE });
    const echo = await this.#nextHandshakeMessage();
    if (echo.type !== "Rerr" || echo.tag !== HANDSHAKE_TAG || echo.why !== CAN_TINIT_MESSAGE) {
      // A server from before handshakes: speak version 1 without one, as Finagle does.
      return;
    }
    this.#conn.send({
      type: "Tinit",
      tag: HANDSHAKE_TAG,
      version: MUX_VERSION,
      headers: [[MUX_FRAMER_KEY, encodeFrameSize(this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)]],
    });
    const reply = await this.#nextHandshakeMessage();
    if (reply.type === "Rerr") throw new MuxRemoteError(`handshake refused: ${reply.why}`);
    if (reply.type !== "Rinit") throw new MuxRemoteError(`handshake: expected Rinit, got ${reply.type}`);
    if (reply.version !== MUX_VERSION) {
      throw new MuxRemoteError(`handshake: server speaks mux version ${reply.version}, not ${MUX_VERSION}`);
    }
    this.#conn.peerWindow = peerWindowOf(reply.headers);
  }

  #nextHandshakeMessage(): Promise<MuxMessage> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closedError ?? new MuxClosedError("connection closed during the handshake"));
        return;
      }
      this.#handshakeWaiter = resolve;
      this.#closeListeners.push((e) =>
        reject(e ?? new MuxClosedError("connection closed during the handshake")),
      );
    });
  }

  /** True while new dispatches may be sent (connected, not asked to drain). */
  get isAvailable(): boolean {
    return !this.#closed && !this.#draining;
  }

  get outstanding(): number {
    return this.#outstanding.size;
  }

  get remoteAddress(): string {
    const s = this.#conn.socket;
    return `${s.remoteAddress ?? "?"}:${s.remotePort ?? "?"}`;
  }

  onClose(listener: (e: Error | undefined) => void): void {
    if (this.#closed) listener(this.#closedError);
    else this.#closeListeners.push(listener);
  }

  /**
   * Sends `body` in a Tdispatch and resolves with the Rdispatch's body. Rejects with MuxClosedError or
   * MuxNackError (retry elsewhere) or MuxRemoteError. Aborting `signal` sends Tdiscarded and rejects.
   */
  dispatch(body: Buffer, signal?: AbortSignal): Promise<Buffer> {
    if (this.#closed) return Promise.reject(this.#closedError ?? new MuxClosedError("connection closed"));
    if (this.#draining) return Promise.reject(new MuxClosedError("connection draining"));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const tag = this.#allocateTag();
    if (tag === undefined) return Promise.reject(new MuxClosedError("no free mux tags"));
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = () => {
        const o = this.#outstanding.get(tag);
        if (o === undefined || o.discarded) return;
        o.discarded = true;
        this.#conn.send({ type: "Tdiscarded", tag: 0, which: tag, why: "request discarded by the client" });
        reject(signal?.reason as Error);
      };
      const settle = () => signal?.removeEventListener("abort", onAbort);
      this.#outstanding.set(tag, {
        resolve: (b) => {
          settle();
          resolve(b);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        discarded: false,
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#conn.send({ type: "Tdispatch", tag, contexts: [], dst: "", dtab: [], body });
    });
  }

  #allocateTag(): number | undefined {
    for (let i = 0; i < MAX_TAG; i++) {
      const tag = this.#nextTag;
      this.#nextTag = tag >= MAX_TAG ? FIRST_DISPATCH_TAG : tag + 1;
      if (!this.#outstanding.has(tag)) return tag;
    }
    return undefined;
  }

  #onMessage(m: MuxMessage): void {
    const waiter = this.#handshakeWaiter;
    if (waiter !== undefined) {
      this.#handshakeWaiter = undefined;
      this.#closeListeners.pop();
      waiter(m);
      return;
    }
    switch (m.type) {
      case "Rdispatch":
      case "Rreq": {
        const o = this.#take(m.tag);
        if (o === undefined) return;
        if (m.status === MuxStatus.Ok) o.resolve(m.body);
        else if (m.status === MuxStatus.Nack) o.reject(new MuxNackError());
        else o.reject(new MuxRemoteError(m.body.toString("utf8")));
        this.#maybeFinishDrain();
        return;
      }
      case "Rerr": {
        const o = this.#take(m.tag);
        o?.reject(new MuxRemoteError(m.why));
        this.#maybeFinishDrain();
        return;
      }
      case "Rdiscarded":
        this.#take(m.tag);
        this.#maybeFinishDrain();
        return;
      case "Rping":
        if (this.#pingDeadline !== undefined) {
          this.#timers.clearTimeout(this.#pingDeadline);
          this.#pingDeadline = undefined;
        }
        return;
      case "Tping":
        this.#conn.send({ type: "Rping", tag: m.tag });
        return;
      case "Tdrain":
        // The server is going away: no new requests here; the ones in flight may still be answered.
        this.#draining = true;
        this.#conn.send({ type: "Rdrain", tag: m.tag });
        this.#maybeFinishDrain();
        return;
      case "Tlease":
        this.leaseMs = m.howMuch;
        return;
      case "Tdiscarded":
        return;
      default:
        if (m.type === "Unknown" ? m.typeByte > 0 && m.tag !== 0 : m.type.startsWith("T") && m.tag !== 0) {
          this.#conn.send({ type: "Rerr", tag: m.tag, why: `unexpected message ${m.type}` });
        }
    }
  }

  /** Removes an exchange; one that we discarded is dropped silently. */
  #take(tag: number): Outstanding | undefined {
    const o = this.#outstanding.get(tag);
    if (o === undefined) return undefined;
    this.#outstanding.delete(tag);
    return o.discarded ? undefined : o;
  }

  #maybeFinishDrain(): void {
    if (this.#draining && this.#outstanding.size === 0) this.close();
  }

  #startPings(): void {
    const every = this.#options.pingIntervalMs ?? 5000;
    if (every <= 0) return;
    const timeout = this.#options.pingTimeoutMs ?? 4000;
    const tick = () => {
      if (this.#closed) return;
      if (this.#pingDeadline === undefined) {
        this.#conn.send({ type: "Tping", tag: PING_TAG });
        this.#pingDeadline = this.#timers.setTimeout(() => {
          this.#pingDeadline = undefined;
          this.close(new MuxClosedError(`no answer to a ping within ${timeout} ms`));
        }, timeout);
      }
      this.#pingTimer = this.#timers.setTimeout(tick, every);
    };
    this.#pingTimer = this.#timers.setTimeout(tick, every);
  }

  close(error?: Error): void {
    this.#conn.close(error);
  }

  #onClose(e: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedError = new MuxClosedError(e ? `connection closed: ${e.message}` : "connection closed");
    if (this.#pingTimer !== undefined) this.#timers.clearTimeout(this.#pingTimer);
    if (this.#pingDeadline !== undefined) this.#timers.clearTimeout(this.#pingDeadline);
    const outstanding = [...this.#outstanding.values()];
    this.#outstanding.clear();
    for (const o of outstanding) if (!o.discarded) o.reject(this.#closedError);
    for (const l of this.#closeListeners.splice(0)) l(this.#closedError);
  }
}
