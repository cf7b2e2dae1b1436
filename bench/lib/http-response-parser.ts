// An incremental HTTP/1.1 response parser for load generators: finds where each response ends (Content-Length, chunked, close).

/** What the parser reports for each complete (final) response. */
export interface ParsedResponse {
  readonly status: number;
  /** The server asked to close the connection (`Connection: close`, or HTTP/1.0 without keep-alive). */
  readonly close: boolean;
}

const CRLF_CRLF = Buffer.from("\r\n\r\n");
const MAX_HEAD = 64 * 1024;

const State = {
  Head: 0,
  Length: 1,
  ChunkSize: 2,
  ChunkData: 3,
  ChunkEnd: 4,
  Trailers: 5,
  UntilClose: 6,
} as const;
type State = (typeof State)[keyof typeof State];

/**
 * Feed it the bytes a connection receives, in any split; it calls `onResponse` once per final response (1xx
 * interim responses are skipped). Bodies are skipped, not kept. A malformed response throws, after which the
 * parser must not be used again (the connection should be closed).
 */
export class ResponseParser {
  readonly #onResponse: (r: ParsedResponse) => void;
  #state: State = State.Head;
  #head: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #line = "";
  #status = 0;
  #close = false;
  /** True when the request was a HEAD or the response cannot have a body (set per response by the caller). */
  noBody = false;

  constructor(onResponse: (r: ParsedResponse) => void) {
    this.#onResponse = onResponse;
  }

  /** Whether a response is partly received (so a close now loses it). */
  get midResponse(): boolean {
    return this.#state !== State.Head || this.#head.length > 0;
  }

  /** The connection closed: a body delimited by the close ends here. */
  end(): void {
    if (this.#state === State.UntilClose) this.#finish();
  }

  feed(data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      switch (this.#state) {
        case State.Head: {
          // Search only where the terminator can start: the tail of what was kept plus the new bytes.
          const kept = this.#head.length;
          const buf = kept === 0 ? data.subarray(pos) : Buffer.concat([this.#head, data.subarray(pos)]);
          const end = buf.indexOf(CRLF_CRLF, Math.max(0, kept - 3));
          if (end < 0) {
            if (buf.length > MAX_HEAD) throw new Error(`response head longer than ${MAX_HEAD} bytes`);
            this.#head = Buffer.from(buf);
            return;
          }
          const headEnd = end + 4;
          this.#head = Buffer.alloc(0);
          pos += headEnd - kept;
          this.#parseHead(buf.toString("latin1", 0, end));
          break;
        }
        case State.Length: {
          const n = Math.min(this.#remaining, data.length - pos);
          this.#remaining -= n;
          pos += n;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Trailers: {
          const nl = data.indexOf(10, pos);
          if (nl < 0) {
            this.#line += data.toString("latin1", pos);
            if (this.#line.length > MAX_HEAD) throw new Error("chunk line too long");
            return;
          }
          const line = (this.#line + data.toString("latin1", pos, nl)).replace(/\r$/, "");
          this.#line = "";
          pos = nl + 1;
          this.#onLine(line);
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, data.length - pos);
          this.#remaining -= n;
          pos += n;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          break;
        }
        case State.UntilClose:
          return;
      }
    }
  }

  #parseHead(head: string): void {
    const lines = head.split("\r\n");
    const statusLine = lines[0] ?? "";
    const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
    if (m === null) throw new Error(`bad status line ${JSON.stringify(statusLine.slice(0, 80))}`);
    const http10 = m[1] === "0";
    const status = Number(m[2]);
    let length: number | undefined;
    let chunked = false;
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value)) throw new Error(`bad Content-Length ${JSON.stringify(value)}`);
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").at(-1)?.trim() === "chunked";
      } else if (name === "connection") {
        connection = value.toLowerCase();
      }
    }
    if (status >= 100 && status < 200 && status !== 101) return; // interim: the final response follows
    this.#status = status;
    this.#close = connection.includes("close") || (http10 && !connection.includes("keep-alive"));
    if (this.noBody || status === 204 || status === 304 || status === 101) {
      this.#finish();
    } else if (chunked) {
      this.#state = State.ChunkSize;
    } else if (length !== undefined) {
      this.#remaining = length;
      this.#state = State.Length;
      if (length === 0) this.#finish();
    } else {
      this.#close = true;
      this.#state = State.UntilClose;
    }
  }

  #onLine(line: string): void {
    if (this.#state === State.ChunkSize) {
      const hex = line.split(";")[0]?.trim() ?? "";
      if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
      const size = Number.parseInt(hex, 16);
      if (size === 0) {
        this.#state = State.Trailers;
      } else {
        this.#remaining = size;
        this.#state = State.ChunkData;
      }
    } else if (this.#state === State.ChunkEnd) {
      if (line !== "") throw new Error("chunk data not followed by CRLF");
      this.#state = State.ChunkSize;
    } else if (line === "") {
      this.#finish(); // the empty line after the (possibly empty) trailers
    }
  }

  #finish(): void {
    this.#state = State.Head;
    const r: ParsedResponse = { status: this.#status, close: this.#close };
    this.#onResponse(r);
  }
}
