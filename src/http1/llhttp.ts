// The one place that uses Node's own HTTP/1 parser (llhttp, strict mode) directly, without node:http's objects.

/** The parser binding that node:http itself uses; reached through `_http_common`, stable for the pinned Node. */
interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; reason?: string; bytesParsed?: number });
  finish(): undefined | (Error & { code?: string; reason?: string });
  close(): void;
  [key: number]: unknown;
}

interface ParserModule {
  HTTPParser: {
    new (): NativeParser;
    REQUEST: number;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
    kLenientNone: number;
  };
  methods: string[];
}

const native = process.getBuiltinModule("_http_common") as ParserModule;
const P = native.HTTPParser;

/** The method names, by the index the parser reports. */
export const METHODS: readonly string[] = native.methods;

/** What a parsed message head gives. `raw` holds header names and values, alternating, as received. */
export interface ParsedHead {
  readonly versionMinor: number;
  readonly versionMajor: number;
  readonly raw: string[];
  /** Request: the method. */
  readonly method: string;
  /** Request: the target as received. */
  readonly target: string;
  /** Response: the status code and reason phrase. */
  readonly status: number;
  readonly statusText: string;
  readonly upgrade: boolean;
  readonly keepAlive: boolean;
}

export interface ParserEvents {
  /** A head is complete; return true to tell the parser the message has no body (a response to HEAD). */
  onHead(head: ParsedHead): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** A parse failure: llhttp's code (`HPE_HEADER_OVERFLOW`, `HPE_INVALID_TRANSFER_ENCODING`, ...) and reason. */
export class ParseError extends Error {
  readonly code: string;
  constructor(code: string, reason: string) {
    super(reason);
    this.name = "ParseError";
    this.code = code;
  }
}

/**
 * A strict llhttp parser for requests or responses: no lenient flags, so the framing it accepts is the
 * framing node:http accepts, and every smuggling vector node:http refuses is refused here too.
 */
export class Http1Parser {
  readonly #p: NativeParser;
  #executing = false;
  #closeWhenDone = false;
  #closed = false;
  #raw: string[] = [];
  #target = "";

  constructor(kind: "request" | "response", maxHeaderBytes: number, events: ParserEvents) {
    const p = new P();
    p.initialize(kind === "request" ? P.REQUEST : P.RESPONSE, {}, maxHeaderBytes, P.kLenientNone);
    p[P.kOnMessageBegin] = () => {};
    // Called when a head spans several reads or has many lines: the parts are gathered until it is complete.
    p[P.kOnHeaders] = (raw: string[], target: string) => {
      for (const x of raw) this.#raw.push(x);
      this.#target += target;
    };
    p[P.kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      raw: string[] | undefined,
      method: number | undefined,
      target: string | undefined,
      status: number | undefined,
      statusText: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      const all = raw === undefined ? this.#raw : this.#raw.length === 0 ? raw : this.#raw.concat(raw);
      const head: ParsedHead = {
        versionMajor,
        versionMinor,
        raw: all,
        method: method === undefined ? "" : (METHODS[method] ?? ""),
        target: target ?? this.#target,
        status: status ?? 0,
        statusText: statusText ?? "",
        upgrade,
        keepAlive,
      };
      this.#raw = [];
      this.#target = "";
      return events.onHead(head) ? 1 : 0;
    };
    p[P.kOnBody] = (chunk: Buffer) => events.onBody(chunk);
    p[P.kOnMessageComplete] = () => events.onComplete();
    p[P.kOnExecute] = null;
    this.#p = p;
  }

  /** Parses what arrived; throws a ParseError for anything that is not strict HTTP/1. */
  execute(data: Buffer): void {
    if (this.#closed) return;
    this.#executing = true;
    let r: ReturnType<NativeParser["execute"]>;
    try {
      r = this.#p.execute(data);
    } finally {
      this.#returned();
    }
    if (typeof r !== "number") throw new ParseError(r.code ?? "HPE_UNKNOWN", r.reason ?? r.message);
  }

  /** The peer closed: completes a body that runs to the end of the connection, or throws if one was cut. */
  finish(): void {
    if (this.#closed) return;
    this.#executing = true;
    let r: ReturnType<NativeParser["finish"]>;
    try {
      r = this.#p.finish();
    } finally {
      this.#returned();
    }
    if (r !== undefined) throw new ParseError(r.code ?? "HPE_UNKNOWN", r.reason ?? r.message);
  }

  /**
   * A call into the native parser (`execute`, or `finish`, where a body that runs to the end of the connection
   * completes) has returned: a `close` its callbacks asked for happens now. Freeing the native parser while it
   * is still running would crash Node (SIGSEGV).
   */
  #returned(): void {
    this.#executing = false;
    if (this.#closeWhenDone) this.close();
  }

  /** Frees the parser; from inside one of its own callbacks, once the current `execute` or `finish` has returned. */
  close(): void {
    if (this.#closed) return;
    if (this.#executing) {
      this.#closeWhenDone = true;
      return;
    }
    this.#closed = true;
    this.#p.close();
  }
}
