// End-to-end helpers for namerd: real `trellis namerd` processes from config files, and an HTTP client for its API.

import { request } from "node:http";
import { type ProxyProcess, type StartOptions, startTrellis, writeConfig } from "./proxy-harness.ts";

/** A running `trellis namerd` and where it listens. */
export interface NamerdRun {
  readonly proc: ProxyProcess;
  /** The HTTP controller's port (the first one, if several). */
  readonly http: number;
  readonly admin: number;
  readonly base: string;
  stop(): Promise<unknown>;
}

/** Starts `trellis namerd FILE` and waits for its listening lines. */
export async function startNamerd(configFile: string, options: StartOptions = {}): Promise<NamerdRun> {
  const proc = await startTrellis(["namerd", configFile], options);
  const line = proc.lines.find((l) => /io\.l5d\.httpController listening on/.test(l));
  const http = Number(/:(\d+)$/.exec(line ?? "")?.[1] ?? 0);
  return { proc, http, admin: proc.admin, base: `http://127.0.0.1:${http}`, stop: () => proc.stop() };
}

/** Writes `configText` into `dir`, then `startNamerd`. */
export function startNamerdWith(
  dir: string,
  configText: string,
  options: StartOptions = {},
): Promise<NamerdRun> {
  return startNamerd(writeConfig(dir, configText), options);
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request to 127.0.0.1:`port` on a fresh connection; resolves with the whole reply. */
export function http(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A `?watch=true` stream: each line as it arrives. */
export class WatchStream {
  readonly lines: string[] = [];
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  ended = false;
  #buffer = "";
  #waiters: (() => void)[] = [];
  readonly #close: () => void;
  readonly opened: Promise<void>;

  constructor(port: number, path: string, headers: Record<string, string> = {}) {
    let opened: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    this.opened = new Promise((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      opened();
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        this.#buffer += text;
        let i = this.#buffer.indexOf("\n");
        while (i >= 0) {
          this.lines.push(this.#buffer.slice(0, i));
          this.#buffer = this.#buffer.slice(i + 1);
          i = this.#buffer.indexOf("\n");
        }
        this.#wake();
      });
      res.on("end", () => {
        this.ended = true;
        this.#wake();
      });
      res.on("error", () => {});
    });
    req.on("error", (e) => {
      failed(e);
      this.ended = true;
      this.#wake();
    });
    req.end();
    this.#close = () => req.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves with line number `n` (0-based) once it has arrived; rejects after `timeoutMs`. */
  async line(n: number, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length <= n) {
      if (this.ended)
        throw new Error(`stream ended after ${this.lines.length} lines: ${this.lines.join(" | ")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line ${n} within ${timeoutMs} ms; got: ${this.lines.join(" | ")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.lines[n] as string;
  }

  close(): void {
    this.#close();
  }
}
