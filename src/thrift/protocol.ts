// Thrift's binary protocol (TBinaryProtocol): the wire types and a writer and a bounds-checked reader of them.

/** Field and element types as they travel on the wire. */
export const TType = {
  STOP: 0,
  VOID: 1,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;
export type TType = (typeof TType)[keyof typeof TType];

/** A peer sent bytes that are not a valid encoding (or not the one expected). */
export class ThriftProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ThriftProtocolError";
  }
}

/** Limits a reader enforces, so that a hostile peer cannot make it allocate or recurse without bound. */
export interface ReadLimits {
  /** Longest binary or string value, in bytes. */
  readonly maxBytes: number;
  /** Most elements of one list, set or map. */
  readonly maxElements: number;
  /** Deepest nesting of structs and containers. */
  readonly maxDepth: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxBytes: 16 << 20, maxElements: 1 << 20, maxDepth: 64 };

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** Writes binary-protocol values into a growing buffer. */
export class ThriftWriter {
  #buf: Buffer;
  #len = 0;

  constructor(initial = 256) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  /** The bytes written so far (a copy). */
  bytes(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }

  get length(): number {
    return this.#len;
  }

  byte(v: number): void {
    this.#ensure(1);
    this.#buf.writeInt8(v, this.#len);
    this.#len += 1;
  }

  bool(v: boolean): void {
    this.byte(v ? 1 : 0);
  }

  i16(v: number): void {
    this.#ensure(2);
    this.#buf.writeInt16BE(v, this.#len);
    this.#len += 2;
  }

  i32(v: number): void {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#len);
    this.#len += 4;
  }

  i64(v: bigint): void {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(v, this.#len);
    this.#len += 8;
  }

  double(v: number): void {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#len);
    this.#len += 8;
  }

  /** A 4-byte length, then the bytes. */
  binary(v: Uint8Array): void {
    this.i32(v.length);
    this.raw(v);
  }

  /** UTF-8, written as binary. */
  string(v: string): void {
    this.binary(utf8Encoder.encode(v));
  }

  raw(v: Uint8Array): void {
    this.#ensure(v.length);
    this.#buf.set(v, this.#len);
    this.#len += v.length;
  }

  fieldBegin(type: TType, id: number): void {
    this.byte(type);
    this.i16(id);
  }

  fieldStop(): void {
    this.byte(TType.STOP);
  }

  listBegin(elemType: TType, size: number): void {
    this.byte(elemType);
    this.i32(size);
  }

  mapBegin(keyType: TType, valueType: TType, size: number): void {
    this.byte(keyType);
    this.byte(valueType);
    this.i32(size);
  }
}

/** Reads binary-protocol values from a buffer, refusing truncated or oversized input with a ThriftProtocolError. */
export class ThriftReader {
  readonly #buf: Buffer;
  #pos: number;
  readonly limits: ReadLimits;
  depth = 0;

  constructor(buf: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS, offset = 0) {
    this.#buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = offset;
    this.limits = limits;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#buf.length - this.#pos < n) {
      throw new ThriftProtocolError(`truncated input: ${what} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  byte(): number {
    this.#need(1, "byte");
    const v = this.#buf.readInt8(this.#pos);
    this.#pos += 1;
    return v;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  i16(): number {
    this.#need(2, "i16");
    const v = this.#buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }

  i32(): number {
    this.#need(4, "i32");
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  i64(): bigint {
    this.#need(8, "i64");
    const v = this.#buf.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }

  double(): number {
    this.#need(8, "double");
    const v = this.#buf.readDoubleBE(this.#pos);
    this.#pos += 8;
    return v;
  }

  /** A length-prefixed byte string (a copy, so it outlives the frame it came in). */
  binary(): Buffer {
    const n = this.i32();
    if (n < 0) throw new ThriftProtocolError(`negative length ${n}`);
    if (n > this.limits.maxBytes)
      throw new ThriftProtocolError(`length ${n} exceeds ${this.limits.maxBytes}`);
    this.#need(n, "binary");
    const v = Buffer.from(this.#buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return v;
  }

  string(): string {
    const bytes = this.binary();
    try {
      return utf8.decode(bytes);
    } catch {
      throw new ThriftProtocolError("string is not valid UTF-8");
    }
  }

  /** The next field's type and id; type STOP (id 0) ends a struct. */
  fieldBegin(): { type: number; id: number } {
    const type = this.byte();
    if (type === TType.STOP) return { type, id: 0 };
    return { type, id: this.i16() };
  }

  /** A list's or set's element type and size. */
  listBegin(): { elemType: number; size: number } {
    const elemType = this.byte();
    const size = this.#size();
    return { elemType, size };
  }

  mapBegin(): { keyType: number; valueType: number; size: number } {
    const keyType = this.byte();
    const valueType = this.byte();
    const size = this.#size();
    return { keyType, valueType, size };
  }

  #size(): number {
    const size = this.i32();
    if (size < 0) throw new ThriftProtocolError(`negative container size ${size}`);
    if (size > this.limits.maxElements) {
      throw new ThriftProtocolError(`container size ${size} exceeds ${this.limits.maxElements}`);
    }
    return size;
  }

  /** Enters a nested struct or container, refusing nesting deeper than the limit. */
  enter(): void {
    if (++this.depth > this.limits.maxDepth) {
      throw new ThriftProtocolError(`nesting deeper than ${this.limits.maxDepth}`);
    }
  }

  leave(): void {
    this.depth--;
  }

  /** Reads past a value of `type` without keeping it (an unknown field). */
  skip(type: number): void {
    switch (type) {
      case TType.BOOL:
      case TType.BYTE:
        this.byte();
        return;
      case TType.I16:
        this.i16();
        return;
      case TType.I32:
        this.i32();
        return;
      case TType.I64:
      case TType.DOUBLE:
        this.#need(8, "skip");
        this.#pos += 8;
        return;
      case TType.STRING: {
        const n = this.i32();
        if (n < 0) throw new ThriftProtocolError(`negative length ${n}`);
        this.#need(n, "skip");
        this.#pos += n;
        return;
      }
      case TType.STRUCT: {
        this.enter();
        for (;;) {
          const f = this.fieldBegin();
          if (f.type === TType.STOP) break;
          this.skip(f.type);
        }
        this.leave();
        return;
      }
      case TType.MAP: {
        this.enter();
        const m = this.mapBegin();
        for (let i = 0; i < m.size; i++) {
          this.skip(m.keyType);
          this.skip(m.valueType);
        }
        this.leave();
        return;
      }
      case TType.SET:
      case TType.LIST: {
        this.enter();
        const l = this.listBegin();
        for (let i = 0; i < l.size; i++) this.skip(l.elemType);
        this.leave();
        return;
      }
      default:
        throw new ThriftProtocolError(`unknown type ${type}`);
    }
  }
}
