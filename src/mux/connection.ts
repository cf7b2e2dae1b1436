// One mux connection over a socket: frames in and out, messages decoded, big dispatches fragmented for the peer.

import type { Socket } from "node:net";
import { FrameDecoder, fragmentFrame } from "./framing.ts";
import { decodeMessage, encodeFrame, type MuxMessage, MuxProtocolError } from "./message.ts";

/** The mux protocol version this implementation speaks (Finagle's LatestVersion). */
export const MUX_VERSION = 1;
/** The marker Rerr a client sends to learn whether the server understands Tinit; a server that does echoes it. */
export const CAN_TINIT_MESSAGE = "tinit check";

/** The largest frame (and reassembled message) accepted by default: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 << 20;

/** The `mux-framer` handshake header: the largest frame body the sender is willing to receive. */
export const MUX_FRAMER_KEY = Buffer.from("mux-framer", "utf8");
/** The frame size meaning "no limit" (Int.MaxValue in Finagle). */
export const UNLIMITED_FRAME_SIZE = 0x7fffffff;

export function encodeFrameSize(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(Math.min(n, UNLIMITED_FRAME_SIZE), 0);
  return b;
}

/** The peer's `mux-framer` window from handshake headers, when it asks for fragments smaller than unlimited. */
export function peerWindowOf(headers: readonly (readonly [Uint8Array, Uint8Array])[]): number | undefined {
  for (const [k, v] of headers) {
    if (Buffer.from(k).equals(MUX_FRAMER_KEY) && v.length === 4) {
      const n = Buffer.from(v).readInt32BE(0);
      return n > 0 && n < UNLIMITED_FRAME_SIZE ? n : undefined;
    }
  }
  return undefined;
}

export interface MuxConnectionHandlers {
  /** Every decoded message, in order. */
  onMessage(m: MuxMessage): void;
  /** Called once, when the connection ends for any reason (the error, if it failed). */
  onClose(error: Error | undefined): void;
}

/** The message side of a socket. A peer that sends malformed frames gets its connection closed. */
export class MuxConnection {
  readonly socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #handlers: MuxConnectionHandlers;
  /** Bodies of Tdispatch/Rdispatch bigger than this are sent as fragments (set by the handshake). */
  peerWindow: number | undefined;
  #closed = false;
  #error: Error | undefined;

  constructor(socket: Socket, handlers: MuxConnectionHandlers, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (e) => {
      this.#error ??= e;
    });
    socket.on("close", () => this.#finish());
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: ReturnType<FrameDecoder["push"]>;
    try {
      frames = this.#decoder.push(chunk);
    } catch (e) {
      this.close(e as Error);
      return;
    }
    for (const f of frames) {
      if (this.#closed) return;
      let m: MuxMessage;
      try {
        m = decodeMessage(f.typeByte, f.tag, f.body);
      } catch (e) {
        this.close(e instanceof MuxProtocolError ? e : new MuxProtocolError((e as Error).message));
        return;
      }
      if (m.type === "Tdiscarded") this.#decoder.discard(m.which);
      if (m.type === "Rdiscarded") this.#decoder.discard(m.tag);
      this.#handlers.onMessage(m);
    }
  }

  /** Writes a message (fragmented when it is a dispatch bigger than the peer's window). */
  send(m: MuxMessage): void {
    if (this.#closed) return;
    const frame = encodeFrame(m);
    const window = this.peerWindow;
    if (window !== undefined && (m.type === "Tdispatch" || m.type === "Rdispatch")) {
      for (const f of fragmentFrame(frame, window)) this.socket.write(f);
    } else {
      this.socket.write(frame);
    }
  }

  /** Ends the connection; `error` says why when it is a failure. */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#error ??= error;
    this.socket.destroy();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose(this.#error);
  }
}
