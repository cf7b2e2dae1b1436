// End-to-end helpers: real `trellis proxy` processes from config files, recording backends, raw-socket clients.

import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { EventEmitter, once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file's place in it. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TRELLIS_BIN = join(REPO_ROOT, "bin", "trellis.js");

/** How long a proxy gets to print its listening lines. */
const START_TIMEOUT_MS = 15_000;
/** How long a stopped proxy gets between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------------
// Temporary files

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = "trellis-e2e-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

let configCount = 0;

/** Writes `text` into `dir` under `name` (or a fresh name) and returns the file's path. */
export function writeConfig(dir: string, text: string, name = `config-${++configCount}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// The proxy process

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Extra arguments for node before the script (e.g. `--import` of a preload). */
  readonly nodeArgs?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the process's standard input, which is then closed (for `trellis proxy -`). */
  readonly stdin?: string;
}

const live = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A copy of this environment without proxy settings, which would change what clients in the proxy do. */
function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(https?_proxy|no_proxy|all_proxy|NODE_OPTIONS|NODE_TEST_CONTEXT)$/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

function spawnTrellis(
  args: readonly string[],
  options: StartOptions,
  stdin: "ignore" | "pipe",
): ChildProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), TRELLIS_BIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: [stdin, "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
}

/** A running `trellis proxy` and what it has said. */
export class ProxyProcess {
  readonly child: ChildProcess;
  /** Each router label's server ports, in the order printed (the order of `servers` in the config). */
  readonly routers = new Map<string, number[]>();
  admin = 0;
  /** Every line printed on standard output so far. */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  #stderr = "";
  readonly #lineEvents = new EventEmitter();

  constructor(child: ChildProcess) {
    this.child = child;
    this.exited = exitOf(child);
    child.stderr?.on("data", (d: Buffer) => {
      this.#stderr += d.toString();
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Everything written on standard error so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The port of the router `label`'s `index`th server. */
  port(label: string, index = 0): number {
    const port = this.routers.get(label)?.[index];
    if (port === undefined) {
      throw new Error(`no server ${index} for router ${label}; listening: ${this.lines.join(" | ")}`);
    }
    return port;
  }

  /** Resolves with the first line on standard output (already printed or to come) that matches `pattern`. */
  line(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onLine = (l: string) => {
        if (pattern.test(l)) {
          this.#lineEvents.off("line", onLine);
          resolve(l);
        }
      };
      this.#lineEvents.on("line", onLine);
      void this.exited.then(() => reject(new Error(`exited without printing ${pattern}`)));
    });
  }

  /** Waits for a listening line per server and one for the admin server (printed last). */
  async ready(): Promise<this> {
    const rl = createInterface({ input: this.child.stdout! });
    const ready = new Promise<void>((resolve, reject) => {
      rl.on("line", (line) => {
        this.lines.push(line);
        this.#lineEvents.emit("line", line);
        const router = /^trellis: router (.+) listening on (\S+):(\d+)$/.exec(line);
        if (router) {
          const ports = this.routers.get(router[1] as string) ?? [];
          ports.push(Number(router[3]));
          this.routers.set(router[1] as string, ports);
        }
        const admin = /^trellis: admin listening on (\S+):(\d+)$/.exec(line);
        if (admin) {
          this.admin = Number(admin[2]);
          resolve();
        }
      });
      void this.exited.then((e) =>
        reject(
          new Error(
            `trellis proxy exited (${e.code ?? e.signal}) before it was ready:\n${this.lines.join("\n")}\n${this.stderr}`,
          ),
        ),
      );
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`trellis proxy not ready within ${START_TIMEOUT_MS} ms: ${this.stderr}`)),
        START_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (e) {
      this.child.kill("SIGKILL");
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return this;
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves with how it exited. */
  async stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), KILL_AFTER_MS);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** The proxy's resident set size in bytes, from /proc. */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!m) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(m[1]) * 1024;
  }
}

/** Starts `trellis proxy CONFIG_FILE` and waits until every listener is up. */
export async function startProxy(configFile: string, options: StartOptions = {}): Promise<ProxyProcess> {
  const child = spawnTrellis(["proxy", configFile], options, options.stdin === undefined ? "ignore" : "pipe");
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.stdin);
  return new ProxyProcess(child).ready();
}

/** Starts `trellis ARGS` (a command that prints listening lines, the admin one last) and waits until it is up. */
export async function startTrellis(
  args: readonly string[],
  options: StartOptions = {},
): Promise<ProxyProcess> {
  const child = spawnTrellis(args, options, options.stdin === undefined ? "ignore" : "pipe");
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.stdin);
  return new ProxyProcess(child).ready();
}

/** Writes `configText` into `dir`, then `startProxy`. */
export function startProxyWith(
  dir: string,
  configText: string,
  options: StartOptions = {},
): Promise<ProxyProcess> {
  return startProxy(writeConfig(dir, configText), options);
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `trellis ARGS` to its end (for configs that must be refused), with `stdin` as standard input; SIGKILLed
 * after `timeoutMs` or as soon as its standard output matches `killWhen` (then `code` is null), so a process
 * that starts when it should not cannot hang the test.
 */
export async function runTrellis(
  args: readonly string[],
  options: StartOptions & { timeoutMs?: number; killWhen?: RegExp } = {},
): Promise<Finished> {
  const child = spawnTrellis(args, options, "pipe");
  child.stdin?.on("error", () => {});
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (options.killWhen?.test(stdout)) child.kill("SIGKILL");
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin?.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10_000);
  const exit = await exitOf(child);
  clearTimeout(timer);
  // The pipes may still hold the last output after `exit`.
  if (!child.stdout?.readableEnded) await once(child.stdout!, "end").catch(() => {});
  if (!child.stderr?.readableEnded) await once(child.stderr!, "end").catch(() => {});
  return { ...exit, stdout, stderr };
}

/** Kills (SIGKILL) every proxy this process started that is still running; for `after` hooks. */
export async function killAll(): Promise<void> {
  const waits = [...live].map((c) => {
    c.kill("SIGKILL");
    return exitOf(c);
  });
  await Promise.all(waits);
}

/**
 * A preload for the proxy's node that makes DNS lookups of names ending in `.hang.test` never answer (as a DNS
 * server that does not respond would), so a binding stays Pending. Written into `dir`; pass the result as
 * `nodeArgs`.
 */
export function hangingDnsPreload(dir: string): string[] {
  const file = join(dir, "hanging-dns.mjs");
  writeFileSync(
    file,
    [
      'import dns from "node:dns/promises";',
      'import { syncBuiltinESMExports } from "node:module";',
      "const real = dns.lookup;",
      'dns.lookup = (host, ...rest) => (String(host).endsWith(".hang.test") ? new Promise(() => {}) : real(host, ...rest));',
      "syncBuiltinESMExports();",
      "",
    ].join("\n"),
  );
  return ["--import", file];
}

// ---------------------------------------------------------------------------------------------------------------
// Recording backends

/** What a backend received: the request head as sent by the proxy, and its body (hashed; kept when small). */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** The body, when it was at most `keepBodyBytes`; else empty (see `bodyBytes` and `sha256`). */
  body: Buffer;
  bodyBytes: number;
  sha256: string;
  /** Whether the whole body arrived. */
  complete: boolean;
  /** Whether the connection went away before the body ended. */
  aborted: boolean;
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, rec: Recorded) => void;

export interface BackendOptions {
  /** Answers each request once its body has been read; by default 200 with the backend's name as body. */
  readonly onBody?: BackendHandler;
  /** Answers each request as soon as its head arrives (the body may still be coming); replaces `onBody`. */
  readonly onHead?: BackendHandler;
  /** Bodies up to this size are kept in `Recorded.body`. */
  readonly keepBodyBytes?: number;
}

/**
 * An HTTP server on 127.0.0.1 and an OS-chosen port that records every request it gets. Emits `request` when a
 * head arrives, and `done` when its body ended or was cut.
 */
export class Backend extends EventEmitter {
  readonly name: string;
  readonly server: Server;
  readonly requests: Recorded[] = [];
  port = 0;

  constructor(name: string, options: BackendOptions = {}) {
    super();
    this.name = name;
    const keep = options.keepBodyBytes ?? 1 << 20;
    this.server = createServer((req, res) => {
      const rec: Recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.alloc(0),
        bodyBytes: 0,
        sha256: "",
        complete: false,
        aborted: false,
      };
      this.requests.push(rec);
      this.emit("request", rec);
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        rec.bodyBytes += c.length;
        hash.update(c);
        if (rec.bodyBytes <= keep) chunks.push(c);
      });
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        rec.sha256 = hash.digest("hex");
        if (rec.bodyBytes <= keep) rec.body = Buffer.concat(chunks);
        this.emit("done", rec);
      };
      req.on("end", () => {
        rec.complete = true;
        settle();
        if (options.onHead === undefined) {
          if (options.onBody) options.onBody(req, res, rec);
          else res.end(this.name);
        }
      });
      req.on("close", () => {
        if (!rec.complete) {
          rec.aborted = true;
          settle();
        }
      });
      if (options.onHead) options.onHead(req, res, rec);
    });
    this.server.keepAliveTimeout = 30_000;
  }

  static async start(name: string, options: BackendOptions = {}): Promise<Backend> {
    const backend = new Backend(name, options);
    backend.server.listen(0, "127.0.0.1");
    await once(backend.server, "listening");
    backend.port = (backend.server.address() as AddressInfo).port;
    return backend;
  }

  /** The last request received. */
  get last(): Recorded {
    const r = this.requests.at(-1);
    if (r === undefined) throw new Error(`backend ${this.name} received no request`);
    return r;
  }

  /** Resolves with the next request head to arrive. */
  nextRequest(): Promise<Recorded> {
    return once(this, "request").then(([r]) => r as Recorded);
  }

  /** Resolves with the next request whose body ends or is cut. */
  nextDone(): Promise<Recorded> {
    return once(this, "done").then(([r]) => r as Recorded);
  }

  /** Forgets what was received so far. */
  reset(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clients

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly text: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  /** Header lines in order; names may repeat. */
  readonly headers?: Record<string, string> | readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
}

/** One request with node's client on a fresh connection to 127.0.0.1:`port`; the whole response. */
export function send(port: number, options: SendOptions = {}): Promise<Reply> {
  const pairs = Array.isArray(options.headers)
    ? (options.headers as readonly (readonly [string, string])[])
    : Object.entries(options.headers ?? {});
  const flat: string[] = [];
  // Node adds no Host of its own when headers come as a list.
  if (!pairs.some(([k]) => k.toLowerCase() === "host")) flat.push("Host", `127.0.0.1:${port}`);
  for (const [k, v] of pairs) flat.push(k, v);
  const framed = pairs.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k));
  if (options.body !== undefined && !framed)
    flat.push("Content-Length", String(Buffer.byteLength(options.body)));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: flat as unknown as Record<string, string>,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: body.toString(),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** GET `path` from an admin server; status and text. */
export function adminGet(port: number, path: string): Promise<Reply> {
  return send(port, { path });
}

/** The flat metrics of a proxy's admin server. */
export async function metrics(adminPort: number): Promise<Record<string, number>> {
  const r = await adminGet(adminPort, "/admin/metrics.json");
  if (r.status !== 200) throw new Error(`/admin/metrics.json answered ${r.status}: ${r.text}`);
  return JSON.parse(r.text) as Record<string, number>;
}

/** A response as read off a raw socket. */
export interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Header lines in order, as sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** False when the connection ended before the body its framing announced. */
  readonly complete: boolean;
  /** The value of the first header named `name` (any case). */
  header(name: string): string | undefined;
}

function makeResponse(
  statusLine: string,
  headers: (readonly [string, string])[],
  body: Buffer,
  complete: boolean,
): RawResponse {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return {
    statusLine,
    status,
    headers,
    body,
    complete,
    header: (name) => headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/**
 * A client connection over a plain socket: writes exact bytes and parses responses itself, so that malformed
 * requests and smuggling attempts reach the proxy unchanged and every response is seen as framed.
 */
export class RawConnection {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      };
      socket.once("end", done);
      socket.once("close", done);
      socket.on("error", () => {});
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ host: "127.0.0.1", port });
    await once(socket, "connect");
    return new RawConnection(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Bytes received and not read yet. */
  get unread(): number {
    return this.#buffer.length;
  }

  /** Whether the peer has closed (or reset) the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  async #more(timeoutMs: number): Promise<boolean> {
    if (this.#ended) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await new Promise<boolean>((resolve) => {
      this.#wake = () => resolve(false);
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    clearTimeout(timer);
    this.#wake = undefined;
    if (timedOut) throw new Error(`no data within ${timeoutMs} ms; have ${JSON.stringify(this.#text())}`);
    return true;
  }

  /** Where `text` starts in the unread bytes, waiting for more as needed; -1 if the connection ends first. */
  async #find(text: string, timeoutMs: number): Promise<number> {
    for (;;) {
      const at = this.#buffer.indexOf(text);
      if (at >= 0) return at;
      if (!(await this.#more(timeoutMs))) return -1;
    }
  }

  #text(): string {
    return this.#buffer.subarray(0, 400).toString("latin1");
  }

  /**
   * Reads one response. Its body is framed by Content-Length, chunked encoding, or the end of the connection;
   * `head: true` for the answer to HEAD. Rejects if nothing arrives within `timeoutMs` of the last byte, or the
   * connection closes before a status line.
   */
  async readResponse(options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const end = await this.#find("\r\n\r\n", timeoutMs);
    if (end < 0) {
      throw new Error(`connection closed before a response head; got ${JSON.stringify(this.#text())}`);
    }
    const head = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
    this.#buffer = this.#buffer.subarray(end + 4);
    const statusLine = head[0] as string;
    const headers = head.slice(1).map((line): readonly [string, string] => {
      const i = line.indexOf(":");
      return [line.slice(0, i), line.slice(i + 1).trim()];
    });
    const res = makeResponse(statusLine, headers, Buffer.alloc(0), true);
    if (options.head || res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200)) {
      return res;
    }
    const te = res.header("transfer-encoding");
    const cl = res.header("content-length");
    if (te !== undefined && /chunked/i.test(te)) return this.#readChunked(statusLine, headers, timeoutMs);
    if (cl !== undefined) {
      const n = Number(cl);
      while (this.#buffer.length < n) {
        if (!(await this.#more(timeoutMs))) {
          const body = this.#buffer;
          this.#buffer = Buffer.alloc(0);
          return makeResponse(statusLine, headers, body, false);
        }
      }
      const body = this.#buffer.subarray(0, n);
      this.#buffer = this.#buffer.subarray(n);
      return makeResponse(statusLine, headers, body, true);
    }
    while (await this.#more(timeoutMs));
    const body = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return makeResponse(statusLine, headers, body, true);
  }

  async #readChunked(
    statusLine: string,
    headers: (readonly [string, string])[],
    timeoutMs: number,
  ): Promise<RawResponse> {
    const parts: Buffer[] = [];
    const cut = () => makeResponse(statusLine, headers, Buffer.concat(parts), false);
    for (;;) {
      const eol = await this.#find("\r\n", timeoutMs);
      if (eol < 0) return cut();
      const size = Number.parseInt(this.#buffer.subarray(0, eol).toString("latin1"), 16);
      this.#buffer = this.#buffer.subarray(eol + 2);
      if (size === 0) {
        // Trailers, if any, end with an empty line.
        for (;;) {
          const t = await this.#find("\r\n", timeoutMs);
          if (t < 0) return cut();
          this.#buffer = this.#buffer.subarray(t + 2);
          if (t === 0) break;
        }
        return makeResponse(statusLine, headers, Buffer.concat(parts), true);
      }
      while (this.#buffer.length < size + 2) if (!(await this.#more(timeoutMs))) return cut();
      parts.push(this.#buffer.subarray(0, size));
      this.#buffer = this.#buffer.subarray(size + 2);
    }
  }

  /** Every byte until the peer closes the connection (or `timeoutMs` passes with nothing new: rejects). */
  async readToEnd(timeoutMs = 10_000): Promise<Buffer> {
    while (await this.#more(timeoutMs));
    const all = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return all;
  }

  /** Resolves true if the peer closes the connection within `timeoutMs`, false if it is still open then. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.closed.then(() => true), open]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `bytes` on a fresh connection and reads one response. */
export async function rawRequest(
  port: number,
  bytes: string | Buffer,
  options: { head?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const c = await RawConnection.open(port);
  try {
    c.write(bytes);
    return await c.readResponse(options);
  } finally {
    c.destroy();
  }
}

/** A request head in wire form: the request line, the header lines, and the empty line. */
export function head(requestLine: string, headers: readonly (readonly [string, string])[] = []): string {
  return `${requestLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
}

/** Decodes an `l5d-err` header value (URL-encoded as Java's URLEncoder does: `+` a space, `%XX` a byte). */
export function l5dErr(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) value = value[0];
  return value?.replace(/\+|%([0-9A-Fa-f]{2})/g, (m, hex: string | undefined) =>
    m === "+" ? " " : String.fromCharCode(Number.parseInt(hex as string, 16)),
  );
}
