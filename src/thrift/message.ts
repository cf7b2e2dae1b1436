// Thrift's message envelope (strict binary protocol) and the call/reply/exception shapes of a service method.

import { type Codec, i32, optional, string, struct } from "./codec.ts";
import {
  DEFAULT_READ_LIMITS,
  type ReadLimits,
  ThriftProtocolError,
  ThriftReader,
  ThriftWriter,
} from "./protocol.ts";

export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The first word of a strict message: the version 1 in the high half, the message type in the low byte. */
const VERSION_1 = 0x80010000 | 0;
const VERSION_MASK = 0xffff0000 | 0;

export interface MessageHeader {
  readonly name: string;
  readonly type: number;
  readonly seqid: number;
}

export function writeMessageBegin(w: ThriftWriter, name: string, type: MessageType, seqid: number): void {
  w.i32(VERSION_1 | type);
  w.string(name);
  w.i32(seqid);
}

/** Reads a message header, strict or the older unversioned form (told apart by the first bit). */
export function readMessageBegin(r: ThriftReader): MessageHeader {
  const first = r.i32();
  if (first < 0) {
    if ((first & VERSION_MASK) !== VERSION_1) {
      throw new ThriftProtocolError(`bad thrift version 0x${(first >>> 0).toString(16)}`);
    }
    const type = first & 0xff;
    const name = r.string();
    return { name, type, seqid: r.i32() };
  }
  // Old encoding: the first word is the name's length.
  if (first > r.limits.maxBytes || first > r.remaining)
    throw new ThriftProtocolError("bad message name length");
  const nameBytes = Buffer.alloc(first);
  for (let i = 0; i < first; i++) nameBytes[i] = r.byte();
  const type = r.byte();
  return { name: nameBytes.toString("utf8"), type, seqid: r.i32() };
}

/** TApplicationException's kinds (the `type` field). */
export const ApplicationErrorType = {
  UNKNOWN: 0,
  UNKNOWN_METHOD: 1,
  INVALID_MESSAGE_TYPE: 2,
  WRONG_METHOD_NAME: 3,
  BAD_SEQUENCE_ID: 4,
  MISSING_RESULT: 5,
  INTERNAL_ERROR: 6,
  PROTOCOL_ERROR: 7,
} as const;

export const TApplicationExceptionCodec = struct("TApplicationException", {
  message: optional(1, string),
  type: optional(2, i32),
});

/** An error the remote runtime (not the method) raised: unknown method, bad input, internal error. */
export class TApplicationException extends Error {
  readonly type: number;
  constructor(type: number, message: string) {
    super(message);
    this.name = "TApplicationException";
    this.type = type;
  }
}

/** A service method: its name, its args struct and its result struct (`success` is field 0). */
export interface MethodSpec<Args, Result> {
  readonly name: string;
  readonly args: Codec<Args>;
  readonly result: Codec<Result>;
}

export function encodeMessage<T>(
  name: string,
  type: MessageType,
  seqid: number,
  codec: Codec<T>,
  value: T,
): Buffer {
  const w = new ThriftWriter();
  writeMessageBegin(w, name, type, seqid);
  codec.write(w, value);
  return w.bytes();
}

export function encodeCall<A, R>(method: MethodSpec<A, R>, seqid: number, args: A): Buffer {
  return encodeMessage(method.name, MessageType.CALL, seqid, method.args, args);
}

export function encodeReply<A, R>(method: MethodSpec<A, R>, seqid: number, result: R): Buffer {
  return encodeMessage(method.name, MessageType.REPLY, seqid, method.result, result);
}

export function encodeApplicationException(name: string, seqid: number, e: TApplicationException): Buffer {
  return encodeMessage(name, MessageType.EXCEPTION, seqid, TApplicationExceptionCodec, {
    message: e.message,
    type: e.type,
  });
}

/** A decoded message header and a reader positioned at its body. */
export interface IncomingMessage {
  readonly header: MessageHeader;
  readonly body: ThriftReader;
}

export function decodeMessage(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): IncomingMessage {
  const r = new ThriftReader(bytes, limits);
  const header = readMessageBegin(r);
  return { header, body: r };
}

/**
 * The result of a reply to `method`: the decoded result struct, or the TApplicationException the peer sent
 * (thrown). A reply for another method is a protocol error.
 */
export function decodeReply<A, R>(method: MethodSpec<A, R>, bytes: Uint8Array): R {
  const { header, body } = decodeMessage(bytes);
  if (header.type === MessageType.EXCEPTION) {
    const e = TApplicationExceptionCodec.read(body);
    throw new TApplicationException(e.type ?? ApplicationErrorType.UNKNOWN, e.message ?? "");
  }
  if (header.type !== MessageType.REPLY) {
    throw new ThriftProtocolError(`expected a reply, got message type ${header.type}`);
  }
  if (header.name !== method.name) {
    throw new ThriftProtocolError(`reply to ${header.name}, expected ${method.name}`);
  }
  return method.result.read(body);
}
