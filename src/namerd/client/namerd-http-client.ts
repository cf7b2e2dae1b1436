// A client of namerd's HTTP controller for the dtab command line (namerctl's operations), over fetch.

/** namerd answered with a status the operation does not expect; `message` is namerd's body, if any. */
export class NamerdHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, statusText: string, body: string) {
    const detail = body.trim();
    super(`${status} ${statusText}${detail ? `: ${detail}` : ""}`);
    this.name = "NamerdHttpError";
    this.status = status;
    this.body = body;
  }
}

/** namerd could not be reached at all (refused, unknown host, timed out). */
export class NamerdUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const c = cause as { cause?: { code?: string; message?: string }; message?: string };
    const why = c?.cause?.code ?? c?.cause?.message ?? c?.message ?? String(cause);
    super(`cannot reach namerd at ${url}: ${why}`);
    this.name = "NamerdUnreachableError";
  }
}

export interface VersionedDtabText {
  /** The dentries as namerd's JSON gives them. */
  readonly dtab: { prefix: string; dst: string }[];
  /** The ETag: the version, base64. */
  readonly version: string;
}

export interface NamerdHttpClientOptions {
  /** Where the controller is, e.g. `http://127.0.0.1:4180` (a path is kept as a prefix). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` with writes. */
  readonly token?: string;
  readonly timeoutMs?: number;
}

export class NamerdHttpClient {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: NamerdHttpClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(`expected an http:// or https:// URL, got ${options.baseUrl}`);
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.#base = base;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  #url(path: string, params: Record<string, string | undefined> = {}): URL {
    const url = new URL(path.replace(/^\//, ""), this.#base);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  async #send(method: string, url: URL, init: { headers?: Record<string, string>; body?: string } = {}) {
    const headers = { ...init.headers };
    if (this.#token !== undefined && method !== "GET" && method !== "HEAD") {
      headers.Authorization = `Bearer ${this.#token}`;
    }
    try {
      return await fetch(url, {
        method,
        headers,
        body: init.body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      throw new NamerdUnreachableError(url.origin, e);
    }
  }

  async #expect(rsp: Response, ok: readonly number[]): Promise<string> {
    const body = await rsp.text();
    if (!ok.includes(rsp.status)) throw new NamerdHttpError(rsp.status, rsp.statusText, body);
    return body;
  }

  async list(): Promise<string[]> {
    const rsp = await this.#send("GET", this.#url("/api/1/dtabs"), {
      headers: { Accept: "application/json" },
    });
    return JSON.parse(await this.#expect(rsp, [200])) as string[];
  }

  async get(ns: string): Promise<VersionedDtabText> {
    const rsp = await this.#send("GET", this.#url(`/api/1/dtabs/${encodeURIComponent(ns)}`), {
      headers: { Accept: "application/json" },
    });
    const body = await this.#expect(rsp, [200]);
    return { dtab: JSON.parse(body), version: rsp.headers.get("etag") ?? "" };
  }

  /** Sends dtab text (`application/dtab`) or dentries JSON (`application/json`). */
  async create(ns: string, body: { contentType: string; text: string }): Promise<void> {
    const rsp = await this.#send("POST", this.#url(`/api/1/dtabs/${encodeURIComponent(ns)}`), {
      headers: { "Content-Type": body.contentType },
      body: body.text,
    });
    await this.#expect(rsp, [200, 201, 204]);
  }

  /** PUT; with `version`, only if the stored version is still that one (412 otherwise). */
  async update(ns: string, body: { contentType: string; text: string }, version?: string): Promise<void> {
    const headers: Record<string, string> = { "Content-Type": body.contentType };
    if (version !== undefined && version !== "") headers["If-Match"] = version;
    const rsp = await this.#send("PUT", this.#url(`/api/1/dtabs/${encodeURIComponent(ns)}`), {
      headers,
      body: body.text,
    });
    await this.#expect(rsp, [200, 201, 204]);
  }

  async delete(ns: string): Promise<void> {
    const rsp = await this.#send("DELETE", this.#url(`/api/1/dtabs/${encodeURIComponent(ns)}`));
    await this.#expect(rsp, [200, 204]);
  }

  /** The delegation tree JSON of `path` in namespace `ns` with `dtab` appended. */
  async delegate(ns: string, path: string, dtab?: string): Promise<unknown> {
    const rsp = await this.#send(
      "GET",
      this.#url(`/api/1/delegate/${encodeURIComponent(ns)}`, { path, dtab }),
    );
    return JSON.parse(await this.#expect(rsp, [200]));
  }
}
