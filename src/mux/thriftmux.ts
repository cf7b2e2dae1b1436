// ThriftMux as Finagle does it: each thrift call is one strict-binary message in a Tdispatch body, its reply in the Rdispatch.

import {
  ApplicationErrorType,
  decodeMessage,
  decodeReply,
  encodeApplicationException,
  encodeCall,
  encodeReply,
  MessageType,
  type MethodSpec,
  TApplicationException,
} from "../thrift/message.ts";
import { ThriftProtocolError } from "../thrift/protocol.ts";
import type { MuxHandler } from "./server.ts";

/** Something that carries a request body to a server and brings back the reply's (a mux session). */
export interface Dispatcher {
  dispatch(body: Buffer, signal?: AbortSignal): Promise<Buffer>;
}

/** Calls methods of a thrift service over a dispatcher. */
export class ThriftMuxClient {
  readonly #dispatcher: Dispatcher;
  #seqid = 0;

  constructor(dispatcher: Dispatcher) {
    this.#dispatcher = dispatcher;
  }

  /** Calls `method`; resolves with its result struct (success or a declared exception), or rejects. */
  async call<A, R>(method: MethodSpec<A, R>, args: A, signal?: AbortSignal): Promise<R> {
    this.#seqid = (this.#seqid + 1) | 0;
    const reply = await this.#dispatcher.dispatch(encodeCall(method, this.#seqid, args), signal);
    return decodeReply(method, reply);
  }
}

/** A method's implementation: its args struct in, its result struct out. */
export type MethodImpl<A, R> = (args: A, signal: AbortSignal) => Promise<R>;

/** A method and its implementation, as a ThriftMux server serves it. */
export interface ServedMethod {
  readonly spec: MethodSpec<unknown, unknown>;
  readonly impl: MethodImpl<unknown, unknown>;
}

export function served<A, R>(spec: MethodSpec<A, R>, impl: MethodImpl<A, R>): ServedMethod {
  return { spec, impl } as unknown as ServedMethod;
}

/**
 * A mux handler serving thrift methods. Unknown methods, undecodable calls and implementations that throw are
 * answered with a TApplicationException, as thrift servers do; the connection stays up.
 */
export function thriftMuxHandler(methods: readonly ServedMethod[]): MuxHandler {
  const byName = new Map(methods.map((m) => [m.spec.name, m]));
  return async (req) => {
    let name = "";
    let seqid = 0;
    try {
      const { header, body } = decodeMessage(req.body);
      name = header.name;
      seqid = header.seqid;
      if (header.type !== MessageType.CALL && header.type !== MessageType.ONEWAY) {
        throw new TApplicationException(
          ApplicationErrorType.INVALID_MESSAGE_TYPE,
          `expected a call, got message type ${header.type}`,
        );
      }
      const method = byName.get(header.name);
      if (method === undefined) {
        throw new TApplicationException(
          ApplicationErrorType.UNKNOWN_METHOD,
          `Invalid method name: '${name}'`,
        );
      }
      const args = method.spec.args.read(body);
      const result = await method.impl(args, req.signal);
      return encodeReply(method.spec, seqid, result);
    } catch (e) {
      if (req.signal.aborted) throw e;
      const appError =
        e instanceof TApplicationException
          ? e
          : e instanceof ThriftProtocolError
            ? new TApplicationException(ApplicationErrorType.PROTOCOL_ERROR, e.message)
            : new TApplicationException(
                ApplicationErrorType.INTERNAL_ERROR,
                (e as Error).message ?? String(e),
              );
      return encodeApplicationException(name, seqid, appError);
    }
  };
}
