// The proxy's connection to namerd's thrift interface: one ThriftMux session, made on demand and made again when lost.

import { type MuxClientOptions, MuxClientSession } from "../mux/client.ts";
import { ThriftMuxClient } from "../mux/thriftmux.ts";
import type { MethodSpec } from "../thrift/message.ts";
import type { NamerdDst } from "./namerd-dst.ts";

/** The connection's state, for the admin page. */
export interface ConnectionState {
  readonly state: "connected" | "connecting" | "disconnected";
  readonly address: string | null;
  readonly connects: number;
  readonly connectFailures: number;
  readonly disconnects: number;
  readonly lastError: string | null;
}

/** How long to wait for `dst` to have addresses before a call fails. */
const RESOLVE_TIMEOUT_MS = 5000;

export class NamerdThriftConnection {
  readonly #dst: NamerdDst;
  readonly #mux: MuxClientOptions;
  #session: { session: MuxClientSession; client: ThriftMuxClient } | undefined;
  #connecting: Promise<{ session: MuxClientSession; client: ThriftMuxClient }> | undefined;
  #next = 0;
  #closed = false;
  #connects = 0;
  #connectFailures = 0;
  #disconnects = 0;
  #lastError: string | undefined;
  readonly #reconnectListeners = new Set<() => void>();

  constructor(dst: NamerdDst, mux: MuxClientOptions) {
    this.#dst = dst;
    this.#mux = mux;
  }

  /** Calls `f` each time a new connection is made (returns the unsubscribe). */
  onReconnect(f: () => void): () => void {
    this.#reconnectListeners.add(f);
    return () => this.#reconnectListeners.delete(f);
  }

  /** Calls a Namer method; rejects when namerd cannot be reached or the connection breaks meanwhile. */
  async call<A, R>(method: MethodSpec<A, R>, args: A, signal?: AbortSignal): Promise<R> {
    const { client } = await this.#live();
    return client.call(method, args, signal);
  }

  #live(): Promise<{ session: MuxClientSession; client: ThriftMuxClient }> {
    if (this.#closed) return Promise.reject(new Error("interpreter closed"));
    const s = this.#session;
    if (s?.session.isAvailable) return Promise.resolve(s);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<{ session: MuxClientSession; client: ThriftMuxClient }> {
    let addresses: readonly { ip: string; port: number }[];
    try {
      addresses = await this.#dst.resolve(RESOLVE_TIMEOUT_MS);
    } catch (e) {
      this.#connectFailures++;
      this.#lastError = (e as Error).message;
      throw e;
    }
    // Addresses are tried in turn, starting with the one that worked last, so a dead replica does not hold up the rest.
    let lastError: Error | undefined;
    for (let i = 0; i < addresses.length; i++) {
      const a = addresses[this.#next++ % addresses.length] as { ip: string; port: number };
      let session: MuxClientSession;
      try {
        session = await MuxClientSession.connect(a.ip, a.port, this.#mux);
      } catch (e) {
        this.#connectFailures++;
        lastError = e as Error;
        this.#lastError = lastError.message;
        continue;
      }
      if (this.#closed) {
        session.close();
        throw new Error("interpreter closed");
      }
      this.#connects++;
      this.#next--;
      const live = { session, client: new ThriftMuxClient(session) };
      this.#session = live;
      session.onClose((e) => {
        this.#disconnects++;
        if (e !== undefined) this.#lastError = e.message;
        if (this.#session === live) this.#session = undefined;
      });
      // Watches waiting out their backoff come back now, after this caller has its session.
      queueMicrotask(() => {
        for (const f of [...this.#reconnectListeners]) f();
      });
      return live;
    }
    throw lastError ?? new Error("namerd has no addresses");
  }

  state(): ConnectionState {
    const s = this.#session;
    return {
      state: s?.session.isAvailable ? "connected" : this.#connecting ? "connecting" : "disconnected",
      address: s?.session.isAvailable ? s.session.remoteAddress : null,
      connects: this.#connects,
      connectFailures: this.#connectFailures,
      disconnects: this.#disconnects,
      lastError: this.#lastError ?? null,
    };
  }

  close(): void {
    this.#closed = true;
    this.#session?.session.close();
    this.#session = undefined;
  }
}
