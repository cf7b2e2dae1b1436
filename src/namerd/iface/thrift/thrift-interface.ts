// namerd's `io.l5d.thriftNameInterpreter` interface: the thrift Namer service over ThriftMux, on loopback by default.

import { MuxServer } from "../../../mux/server.ts";
import { served, thriftMuxHandler } from "../../../mux/thriftmux.ts";
import type { MetricsScope } from "../../../telemetry/index.ts";
import { NamerMethods } from "../../../thrift/namer-idl.ts";
import type { NamerdCore, NamerdInterface } from "../../core.ts";
import { NamerService } from "./namer-service.ts";

export const THRIFT_INTERFACE_KIND = "io.l5d.thriftNameInterpreter";

/** The interface's `cache` keys (namerd's names and defaults). */
export interface ThriftCacheConfig {
  readonly bindingCacheActive: number;
  readonly bindingCacheInactive: number;
  readonly bindingCacheInactiveTTLSecs: number;
  readonly addrCacheActive: number;
  readonly addrCacheInactive: number;
  readonly addrCacheInactiveTTLSecs: number;
}

export const DEFAULT_THRIFT_CACHE: ThriftCacheConfig = {
  bindingCacheActive: 1000,
  bindingCacheInactive: 100,
  bindingCacheInactiveTTLSecs: 600,
  addrCacheActive: 1000,
  addrCacheInactive: 100,
  addrCacheInactiveTTLSecs: 600,
};

export interface ThriftInterfaceOptions {
  readonly ip: string;
  readonly port: number;
  readonly cache?: Partial<ThriftCacheConfig>;
  readonly core: NamerdCore;
  readonly metrics?: MetricsScope;
  readonly now?: () => number;
}

/** How often idle watches are looked for. */
const SWEEP_EVERY_MS = 10_000;

export class ThriftNameInterpreterInterface implements NamerdInterface {
  readonly kind = THRIFT_INTERFACE_KIND;
  readonly #options: ThriftInterfaceOptions;
  readonly service: NamerService;
  readonly #server: MuxServer;
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: ThriftInterfaceOptions) {
    this.#options = options;
    const cache = { ...DEFAULT_THRIFT_CACHE, ...options.cache };
    const now = options.now ?? (() => performance.now());
    this.service = new NamerService({
      core: options.core,
      bindCache: {
        capacity: cache.bindingCacheActive + cache.bindingCacheInactive,
        idleTtlMs: cache.bindingCacheInactiveTTLSecs * 1000,
        now,
      },
      addrCache: {
        capacity: cache.addrCacheActive + cache.addrCacheInactive,
        idleTtlMs: cache.addrCacheInactiveTTLSecs * 1000,
        now,
      },
    });
    const m = options.metrics;
    const counted = <A, R>(name: string, impl: (args: A, signal: AbortSignal) => Promise<R>) => {
      if (m === undefined) return impl;
      const requests = m.counter([name, "requests"]);
      const failures = m.counter([name, "failures"]);
      return async (args: A, signal: AbortSignal): Promise<R> => {
        requests.incr();
        const r = await impl(args, signal);
        if ((r as { failure?: unknown }).failure !== undefined) failures.incr();
        return r;
      };
    };
    const s = this.service;
    this.#server = new MuxServer(
      thriftMuxHandler([
        served(NamerMethods.bind, counted("bind", s.bind)),
        served(NamerMethods.addr, counted("addr", s.addr)),
        served(NamerMethods.dtab, counted("dtab", s.dtab)),
        served(NamerMethods.delegate, counted("delegate", s.delegate)),
      ]),
      { onProtocolError: () => m?.counter("protocol_errors").incr() },
    );
    m?.gauge("connections", () => this.#server.connections);
    m?.gauge(["bindcache", "size"], () => s.bindings.size);
    m?.gauge(["addrcache", "size"], () => s.addrs.size);
  }

  async listen(): Promise<{ host: string; port: number }> {
    const bound = await this.#server.listen(this.#options.ip, this.#options.port);
    this.#sweep = setInterval(() => this.service.sweep(), SWEEP_EVERY_MS);
    this.#sweep.unref();
    return bound;
  }

  async close(): Promise<void> {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    await this.#server.close();
    this.service.close();
  }
}
