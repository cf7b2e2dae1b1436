// Mux messages (Finagle's session protocol): their types, and each one's encoding as a size-prefixed frame.

/** Message type bytes, as signed 8-bit numbers: T messages positive, their R replies negative. */
export const MuxType = {
  Treq: 1,
  Rreq: -1,
  Tdispatch: 2,
  Rdispatch: -2,
  Tdrain: 64,
  Rdrain: -64,
  Tping: 65,
  Rping: -65,
  Tdiscarded: 66,
  Rdiscarded: -66,
  Tlease: 67,
  Tinit: 68,
  Rinit: -68,
  Rerr: -128,
  /** Aliases from an early implementation bug, still sent by Finagle and accepted everywhere. */
  BadTdiscarded: -62,
  BadRerr: 127,
} as const;

/** Tag 0 marks a T message that expects no reply; the tag's top bit (of 24) marks a fragment with more to come. */
export const MARKER_TAG = 0;
export const TAG_FRAGMENT_BIT = 1 << 23;
export const MAX_TAG = TAG_FRAGMENT_BIT - 1;

/** Reply statuses of Rreq and Rdispatch. */
export const MuxStatus = { Ok: 0, Error: 1, Nack: 2 } as const;
export type MuxStatus = (typeof MuxStatus)[keyof typeof MuxStatus];

/** A key/value pair of Tinit/Rinit headers or dispatch contexts. */
export type MuxPair = readonly [Uint8Array, Uint8Array];

/** One dtab entry as Tdispatch carries it: the prefix and the destination tree, both in their shown form. */
export interface MuxDentry {
  readonly prefix: string;
  readonly dst: string;
}

export type MuxMessage =
  | {
      readonly type: "Treq";
      readonly tag: number;
      readonly keys: readonly MuxTreqKey[];
      readonly body: Buffer;
    }
  | { readonly type: "Rreq"; readonly tag: number; readonly status: MuxStatus; readonly body: Buffer }
  | {
      readonly type: "Tdispatch";
      readonly tag: number;
      readonly contexts: readonly MuxPair[];
      readonly dst: string;
      readonly dtab: readonly MuxDentry[];
      readonly body: Buffer;
    }
  | {
      readonly type: "Rdispatch";
      readonly tag: number;
      readonly status: MuxStatus;
      readonly contexts: readonly MuxPair[];
      readonly body: Buffer;
    }
  | { readonly type: "Tdrain" | "Rdrain" | "Tping" | "Rping" | "Rdiscarded"; readonly tag: number }
  | { readonly type: "Tdiscarded"; readonly tag: number; readonly which: number; readonly why: string }
  | { readonly type: "Tlease"; readonly tag: number; readonly unit: number; readonly howMuch: bigint }
  | {
      readonly type: "Tinit" | "Rinit";
      readonly tag: number;
      readonly version: number;
      readonly headers: readonly MuxPair[];
    }
  | { readonly type: "Rerr"; readonly tag: number; readonly why: string }
  /** A type this implementation does not know; a T message of it is answered with Rerr. */
  | { readonly type: "Unknown"; readonly typeByte: number; readonly tag: number; readonly body: Buffer };

/** One Treq header entry: a 1-byte key and its value (1 = trace id, 2 = trace flags). */
export interface MuxTreqKey {
  readonly key: number;
  readonly value: Uint8Array;
}

/** A peer sent a message that does not follow the mux encoding. */
export class MuxProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MuxProtocolError";
  }
}

/** Grows a buffer as big-endian fields are appended. */
class Out {
  readonly parts: Buffer[] = [];
  size = 0;
  bytes(b: Uint8Array): void {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.parts.push(buf);
    this.size += buf.length;
  }
  u8(v: number): void {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(v & 0xff, 0);
    this.bytes(b);
  }
  u16(v: number): void {
    if (v > 0xffff) throw new RangeError(`value ${v} does not fit in 2 bytes`);
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v, 0);
    this.bytes(b);
  }
  u24(v: number): void {
    const b = Buffer.allocUnsafe(3);
    b.writeUIntBE(v & 0xffffff, 0, 3);
    this.bytes(b);
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0, 0);
    this.bytes(b);
  }
  /** `x~2`: a 2-byte length, then the bytes. */
  sized16(b: Uint8Array): void {
    this.u16(b.length);
    this.bytes(b);
  }
  /** `x~4`: a 4-byte length, then the bytes. */
  sized32(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }
}

function typeByteOf(m: MuxMessage): number {
  switch (m.type) {
    case "Unknown":
      return m.typeByte;
    // Finagle sends the old aliases for these two; every decoder accepts both.
    case "Rerr":
      return MuxType.BadRerr;
    case "Tdiscarded":
      return MuxType.BadTdiscarded;
    default:
      return MuxType[m.type];
  }
}

/** The message's body: everything after `type:1 tag:3`. */
function bodyOf(m: MuxMessage): Out {
  const o = new Out();
  switch (m.type) {
    case "Treq":
      o.u8(m.keys.length);
      for (const k of m.keys) {
        o.u8(k.key);
        o.u8(k.value.length);
        o.bytes(k.value);
      }
      o.bytes(m.body);
      break;
    case "Rreq":
      o.u8(m.status);
      o.bytes(m.body);
      break;
    case "Tdispatch":
      pairs16(o, m.contexts);
      o.sized16(Buffer.from(m.dst, "utf8"));
      o.u16(m.dtab.length);
      for (const d of m.dtab) {
        o.sized16(Buffer.from(d.prefix, "utf8"));
        o.sized16(Buffer.from(d.dst, "utf8"));
      }
      o.bytes(m.body);
      break;
    case "Rdispatch":
      o.u8(m.status);
      pairs16(o, m.contexts);
      o.bytes(m.body);
      break;
    case "Tdiscarded":
      o.u24(m.which);
      o.bytes(Buffer.from(m.why, "utf8"));
      break;
    case "Tlease": {
      o.u8(m.unit);
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(m.howMuch, 0);
      o.bytes(b);
      break;
    }
    case "Tinit":
    case "Rinit":
      o.u16(m.version);
      for (const [k, v] of m.headers) {
        o.sized32(k);
        o.sized32(v);
      }
      break;
    case "Rerr":
      o.bytes(Buffer.from(m.why, "utf8"));
      break;
    case "Unknown":
      o.bytes(m.body);
      break;
    default:
      break;
  }
  return o;
}

function pairs16(o: Out, pairs: readonly MuxPair[]): void {
  o.u16(pairs.length);
  for (const [k, v] of pairs) {
    o.sized16(k);
    o.sized16(v);
  }
}

/** The frame of a message: `size:4 type:1 tag:3 body`, size counting everything after itself. */
export function encodeFrame(m: MuxMessage): Buffer {
  const body = bodyOf(m);
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(4 + body.size, 0);
  head.writeInt8(typeByteOf(m), 4);
  head.writeUIntBE(m.tag & 0xffffff, 5, 3);
  return Buffer.concat([head, ...body.parts], 8 + body.size);
}

/** Reads the fields of one message body, refusing to run past its end. */
class In {
  readonly #b: Buffer;
  #pos = 0;
  readonly #what: string;
  constructor(b: Buffer, what: string) {
    this.#b = b;
    this.#what = what;
  }
  #need(n: number): void {
    if (this.#b.length - this.#pos < n) throw new MuxProtocolError(`short ${this.#what}`);
  }
  u8(): number {
    this.#need(1);
    return this.#b.readUInt8(this.#pos++);
  }
  u16(): number {
    this.#need(2);
    const v = this.#b.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  u24(): number {
    this.#need(3);
    const v = this.#b.readUIntBE(this.#pos, 3);
    this.#pos += 3;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#b.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  i64(): bigint {
    this.#need(8);
    const v = this.#b.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }
  take(n: number): Buffer {
    this.#need(n);
    const v = this.#b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }
  rest(): Buffer {
    const v = this.#b.subarray(this.#pos);
    this.#pos = this.#b.length;
    return v;
  }
  get remaining(): number {
    return this.#b.length - this.#pos;
  }
}

function readPairs16(i: In): MuxPair[] {
  const n = i.u16();
  const out: MuxPair[] = [];
  for (let k = 0; k < n; k++) {
    const key = i.take(i.u16());
    out.push([key, i.take(i.u16())]);
  }
  return out;
}

function status(n: number, what: string): MuxStatus {
  if (n === 0 || n === 1 || n === 2) return n;
  throw new MuxProtocolError(`invalid ${what} status ${n}`);
}

/** Decodes one whole (defragmented) message from its type byte, tag and body. */
export function decodeMessage(typeByte: number, tag: number, body: Buffer): MuxMessage {
  switch (typeByte) {
    case MuxType.Treq: {
      const i = new In(body, "Treq");
      const n = i.u8();
      if (n > 127) throw new MuxProtocolError("Treq: too many keys");
      const keys: MuxTreqKey[] = [];
      for (let k = 0; k < n; k++) {
        const key = i.u8();
        keys.push({ key, value: i.take(i.u8()) });
      }
      return { type: "Treq", tag, keys, body: i.rest() };
    }
    case MuxType.Rreq: {
      const i = new In(body, "Rreq");
      return { type: "Rreq", tag, status: status(i.u8(), "Rreq"), body: i.rest() };
    }
    case MuxType.Tdispatch: {
      const i = new In(body, "Tdispatch");
      const contexts = readPairs16(i);
      const dst = i.take(i.u16()).toString("utf8");
      const nd = i.u16();
      const dtab: MuxDentry[] = [];
      for (let k = 0; k < nd; k++) {
        const prefix = i.take(i.u16()).toString("utf8");
        dtab.push({ prefix, dst: i.take(i.u16()).toString("utf8") });
      }
      return { type: "Tdispatch", tag, contexts, dst, dtab, body: i.rest() };
    }
    case MuxType.Rdispatch: {
      const i = new In(body, "Rdispatch");
      const s = status(i.u8(), "Rdispatch");
      return { type: "Rdispatch", tag, status: s, contexts: readPairs16(i), body: i.rest() };
    }
    case MuxType.Tdrain:
      return { type: "Tdrain", tag };
    case MuxType.Rdrain:
      return { type: "Rdrain", tag };
    case MuxType.Tping:
      return { type: "Tping", tag };
    case MuxType.Rping:
      return { type: "Rping", tag };
    case MuxType.Rdiscarded:
      return { type: "Rdiscarded", tag };
    case MuxType.Tdiscarded:
    case MuxType.BadTdiscarded: {
      const i = new In(body, "Tdiscarded");
      const which = i.u24();
      return { type: "Tdiscarded", tag, which, why: i.rest().toString("utf8") };
    }
    case MuxType.Tlease: {
      const i = new In(body, "Tlease");
      const unit = i.u8();
      return { type: "Tlease", tag, unit, howMuch: i.i64() };
    }
    case MuxType.Tinit:
    case MuxType.Rinit: {
      const i = new In(body, typeByte === MuxType.Tinit ? "Tinit" : "Rinit");
      const version = i.u16();
      const headers: MuxPair[] = [];
      while (i.remaining > 0) {
        const k = i.take(i.u32());
        headers.push([k, i.take(i.u32())]);
      }
      return { type: typeByte === MuxType.Tinit ? "Tinit" : "Rinit", tag, version, headers };
    }
    case MuxType.Rerr:
    case MuxType.BadRerr:
      return { type: "Rerr", tag, why: body.toString("utf8") };
    default:
      return { type: "Unknown", typeByte, tag, body };
  }
}

/** True for T messages (positive type numbers, plus the old Tdiscarded alias). */
export function isTmessage(typeByte: number): boolean {
  return typeByte > 0 ? typeByte !== MuxType.BadRerr : typeByte === MuxType.BadTdiscarded;
}
