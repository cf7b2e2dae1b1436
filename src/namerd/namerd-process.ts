// A running namerd: builds the store, namers, core, interfaces and admin server from a config; starts and stops them.

import type { Server } from "node:http";
import { createAdminServer } from "../admin/admin-server.ts";
import type { AdminPage } from "../admin/pages.ts";
import type { NamerdConfig } from "../config/namerd-schema.ts";
import { GlobalNamer } from "../namers/global.ts";
import { ConfiguredNamersInterpreter, Dtab, type Path } from "../naming/index.ts";
import {
  interfaceKinds,
  type MountedConfiguredNamer,
  namerKinds,
  storageKinds,
  telemeterKinds,
} from "../plugins.ts";
import { Metrics, prometheusStream, startSnapshotTimer } from "../telemetry/index.ts";
import { namerdAdminRoutes } from "./admin/namerd-admin.ts";
import type { DtabStore, NamerdInterface } from "./core.ts";
import { THRIFT_INTERFACE_KIND } from "./iface/thrift/thrift-interface.ts";
import { Namerd, type NamerdCacheLimits } from "./namerd-core.ts";

export interface NamerdProcessOptions {
  /** The directory relative paths in the config are resolved against (the config file's). */
  readonly configDir: string;
  /** Called when the admin server is asked to shut the process down. */
  readonly onShutdownRequest?: (graceMs: number | undefined) => void;
}

/** Where something listens once started. */
export interface Listening {
  readonly what: string;
  readonly ip: string;
  readonly port: number;
}

export class NamerdProcess {
  readonly config: NamerdConfig;
  readonly metrics = new Metrics();
  readonly store: DtabStore;
  readonly namers: readonly MountedConfiguredNamer[];
  readonly core: Namerd;
  readonly interfaces: readonly NamerdInterface[];
  readonly #admin: Server;
  readonly #stops: (() => void)[] = [];

  constructor(config: NamerdConfig, options: NamerdProcessOptions) {
    this.config = config;
    const global = new GlobalNamer();
    // replace/const transformers bind their path with an empty dtab through the namers (built just below).
    const transformers = { bind: (path: Path) => plain.bind(Dtab.empty, path) };
    this.namers = config.namers.map((c) => namerKinds.make(c, { transformers }));
    const plain = new ConfiguredNamersInterpreter(this.namers, global);
    this.store = storageKinds.make(config.storage, { configDir: options.configDir });
    // The thrift interface's `cache` keys bound the core's binding and address caches too, as in namerd.
    const thrift = config.interfaces.find((i) => i.kind === THRIFT_INTERFACE_KIND) as
      | { cache?: Partial<NamerdCacheLimits> }
      | undefined;
    this.core = new Namerd({ store: this.store, namers: this.namers, global, cache: thrift?.cache });
    const cache = this.metrics.scope(["namerd", "cache"]);
    cache.gauge(["bindings", "active"], () => this.core.bindings.activeSize);
    cache.gauge(["bindings", "inactive"], () => this.core.bindings.inactiveSize);
    cache.gauge(["addrs", "active"], () => this.core.addrs.activeSize);
    cache.gauge(["addrs", "inactive"], () => this.core.addrs.inactiveSize);
    this.interfaces = config.interfaces.map((c) =>
      interfaceKinds.make(c, { core: this.core, metrics: this.metrics.scope(["namerd", "iface", c.kind]) }),
    );
    const pages = new Map<string, AdminPage>();
    for (const t of config.telemetry) {
      const telemeter = telemeterKinds.make(t, {
        prometheus: (prefix) => prometheusStream(this.metrics, { prefix }),
      });
      for (const [path, page] of telemeter.adminPages) pages.set(path, page);
    }
    this.#admin = createAdminServer({
      config: config.admin,
      metrics: this.metrics,
      routers: [],
      namers: this.namers,
      effectiveConfig: () => redactSecrets(config),
      extraPages: pages,
      shutdown: (grace) => options.onShutdownRequest?.(grace),
      routes: namerdAdminRoutes(this.core),
    });
  }

  /** Starts every interface and the admin server; if any cannot listen, stops everything and rejects. */
  async start(): Promise<Listening[]> {
    const listening: Listening[] = [];
    try {
      for (let i = 0; i < this.interfaces.length; i++) {
        const iface = this.interfaces[i] as NamerdInterface;
        const c = this.config.interfaces[i] as { ip?: string; port?: number };
        const where = `${c.ip ?? "?"}:${c.port ?? "?"}`;
        const at = await iface.listen().catch((e: NodeJS.ErrnoException) => {
          throw new Error(`interface ${iface.kind} cannot listen on ${where}: ${why(e)}`);
        });
        listening.push({ what: `namerd ${iface.kind}`, ip: at.host, port: at.port });
      }
      const adminPort = await this.#listenAdmin();
      listening.push({ what: "admin", ip: this.config.admin.ip, port: adminPort });
    } catch (e) {
      await this.stop();
      throw e;
    }
    const snapshots = startSnapshotTimer(this.metrics);
    this.#stops.push(() => snapshots.close());
    return listening;
  }

  #listenAdmin(): Promise<number> {
    const { ip, port } = this.config.admin;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) =>
        reject(new Error(`admin cannot listen on ${ip}:${port}: ${why(e)}`));
      this.#admin.once("error", onError);
      this.#admin.listen({ host: ip, port }, () => {
        this.#admin.off("error", onError);
        const a = this.#admin.address();
        resolve(typeof a === "object" && a !== null ? a.port : port);
      });
    });
  }

  /** Stops accepting, ends watches and connections, releases namers and the store. */
  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await Promise.all(this.interfaces.map((i) => i.close().catch(() => {})));
    this.core.close();
    await Promise.all(this.namers.map((n) => n.close?.()));
    await this.store.close().catch(() => {});
    await new Promise<void>((resolve) => {
      if (!this.#admin.listening) return resolve();
      this.#admin.close(() => resolve());
      this.#admin.closeAllConnections();
    });
  }
}

/** The config as `/config.json` shows it: write tokens and ZooKeeper credentials replaced. */
export function redactSecrets(config: NamerdConfig): unknown {
  const hide = (o: unknown, keys: readonly string[]): unknown => {
    if (typeof o !== "object" || o === null) return o;
    const copy: Record<string, unknown> = { ...(o as Record<string, unknown>) };
    for (const k of keys) if (copy[k] !== undefined) copy[k] = "(redacted)";
    return copy;
  };
  const storage = config.storage as { authInfo?: unknown };
  return {
    ...config,
    storage:
      storage.authInfo === undefined ? storage : { ...storage, authInfo: hide(storage.authInfo, ["auth"]) },
    interfaces: config.interfaces.map((i) => hide(i, ["writeToken"])),
  };
}

function why(e: NodeJS.ErrnoException): string {
  if (e.code === "EADDRINUSE") return "the address is already in use";
  if (e.code === "EACCES") return "permission denied (ports below 1024 need privileges)";
  if (e.code === "EADDRNOTAVAIL") return "no such local address";
  return e.message;
}
