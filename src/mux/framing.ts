// Mux framing: cutting a byte stream into size-prefixed frames, joining fragments, and fragmenting big messages.

import { MuxProtocolError, TAG_FRAGMENT_BIT } from "./message.ts";

/** One whole message as read off the wire: its type byte (signed), its tag (fragment bit cleared) and body. */
export interface Frame {
  readonly typeByte: number;
  readonly tag: number;
  readonly body: Buffer;
}

/**
 * Reads frames from chunks of a stream. A frame bigger than `maxFrameBytes`, or fragments adding up to more
 * than it, is a protocol error (the connection is then closed), so a peer cannot make us buffer without bound.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Fragments received so far, by tag. */
  readonly #fragments = new Map<number, { typeByte: number; parts: Buffer[]; size: number }>();

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feeds a chunk; returns the whole messages it completes, in order. */
  push(chunk: Buffer): Frame[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (this.#pendingBytes < 4) break;
      const head = this.#peek(4);
      const size = head.readUInt32BE(0);
      if (size < 4) throw new MuxProtocolError(`frame size ${size} is smaller than its header`);
      if (size > this.#maxFrameBytes) {
        throw new MuxProtocolError(`frame of ${size} bytes exceeds the limit of ${this.#maxFrameBytes}`);
      }
      if (this.#pendingBytes < 4 + size) break;
      const frame = this.#take(4 + size);
      const typeByte = frame.readInt8(4);
      const rawTag = frame.readUIntBE(5, 3);
      const body = frame.subarray(8);
      const whole = this.#join(typeByte, rawTag, body);
      if (whole !== undefined) out.push(whole);
    }
    return out;
  }

  /** Forgets partial fragments of `tag` (the sender discarded that exchange). */
  discard(tag: number): void {
    this.#fragments.delete(tag);
  }

  #join(typeByte: number, rawTag: number, body: Buffer): Frame | undefined {
    const tag = rawTag & ~TAG_FRAGMENT_BIT;
    const more = (rawTag & TAG_FRAGMENT_BIT) !== 0;
    const partial = this.#fragments.get(tag);
    if (!more && partial === undefined) return { typeByte, tag, body };
    const entry = partial ?? { typeByte, parts: [], size: 0 };
    entry.parts.push(body);
    entry.size += body.length;
    if (entry.size > this.#maxFrameBytes) {
      throw new MuxProtocolError(`fragmented message exceeds the limit of ${this.#maxFrameBytes} bytes`);
    }
    if (more) {
      this.#fragments.set(tag, entry);
      return undefined;
    }
    this.#fragments.delete(tag);
    return { typeByte: entry.typeByte, tag, body: Buffer.concat(entry.parts, entry.size) };
  }

  #peek(n: number): Buffer {
    const first = this.#pending[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.#pending);
    this.#pending = [joined];
    return joined.subarray(0, n);
  }

  #take(n: number): Buffer {
    const first = this.#pending[0] as Buffer;
    if (first.length === n) {
      this.#pending.shift();
    } else if (first.length > n) {
      this.#pending[0] = first.subarray(n);
      this.#pendingBytes -= n;
      return first.subarray(0, n);
    } else {
      const joined = Buffer.concat(this.#pending);
      this.#pending = joined.length > n ? [joined.subarray(n)] : [];
      this.#pendingBytes -= n;
      return joined.subarray(0, n);
    }
    this.#pendingBytes -= n;
    return first;
  }
}

/**
 * Splits an encoded frame into fragments whose bodies are at most `window` bytes: every one but the last has
 * the tag's fragment bit set. A frame that fits is returned as it is.
 */
export function fragmentFrame(frame: Buffer, window: number): Buffer[] {
  const body = frame.subarray(8);
  if (body.length <= window) return [frame];
  const typeByte = frame.readInt8(4);
  const tag = frame.readUIntBE(5, 3) & ~TAG_FRAGMENT_BIT;
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += window) {
    const piece = body.subarray(at, Math.min(body.length, at + window));
    const last = at + window >= body.length;
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32BE(4 + piece.length, 0);
    head.writeInt8(typeByte, 4);
    head.writeUIntBE(last ? tag : tag | TAG_FRAGMENT_BIT, 5, 3);
    out.push(Buffer.concat([head, piece]));
  }
  return out;
}
