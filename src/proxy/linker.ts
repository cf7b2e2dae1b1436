// The linker: builds the routers, their servers and the admin server from a config, starts and stops them.

import type { Server } from "node:http";
import { createAdminServer } from "../admin/admin-server.ts";
import type { AdminPage } from "../admin/pages.ts";
import type { Random } from "../balancer/random.ts";
import type { LinkerConfig, RouterConfig } from "../config/linker-schema.ts";
import { GlobalNamer } from "../namers/global.ts";
import { ConfiguredNamersInterpreter, Dtab, type MountedNamer, type Path } from "../naming/index.ts";
import {
  announcerKinds,
  type InterpreterContext,
  identifierKinds,
  interpreterKinds,
  type MountedConfiguredNamer,
  namerKinds,
  telemeterKinds,
} from "../plugins.ts";
import { LinkerAnnouncements } from "../registry/linker-announcements.ts";
import { HttpRouter } from "../router/http-router.ts";
import { firstOf } from "../router/identifiers/index.ts";
import { JSON_CONTENT_TYPE, Metrics, prometheusStream, startSnapshotTimer } from "../telemetry/index.ts";
import { clientPolicies, servicePolicies } from "./router-policies.ts";
import { RouterServer } from "./router-server.ts";

export interface LinkerOptions {
  readonly now?: () => number;
  readonly random?: Random;
  /** Called when the admin server is asked to shut the process down. */
  readonly onShutdownRequest?: (graceMs: number | undefined) => void;
  /** Told in a line what the announcers do (members registered, removed, failing). */
  readonly log?: (line: string) => void;
}

/** Where something listens once started. */
export interface Listening {
  readonly what: string;
  readonly ip: string;
  readonly port: number;
}

/** How often idle bindings and clients are looked for. */
const SWEEP_INTERVAL_MS = 10_000;

export class Linker {
  readonly config: LinkerConfig;
  readonly metrics: Metrics;
  readonly routers: HttpRouter[] = [];
  readonly namers: readonly MountedConfiguredNamer[];
  readonly servers: { router: string; server: RouterServer }[] = [];
  /** The servers' `announce` names, registered once they listen and withdrawn first when stopping. */
  readonly announcements: LinkerAnnouncements;
  readonly #admin: Server;
  #adminPort = 0;
  readonly #timers: (() => void)[] = [];

  constructor(config: LinkerConfig, options: LinkerOptions = {}) {
    this.config = config;
    const now = options.now ?? (() => performance.now());
    const random = options.random ?? Math.random;
    this.metrics = new Metrics();
    const global = new GlobalNamer();
    // replace/const transformers bind their path with an empty dtab through the namers (built just below).
    const transformers = { bind: (path: Path) => plain.bind(Dtab.empty, path) };
    this.namers = config.namers.map((c) =>
      namerKinds.make(c, { transformers, metrics: this.metrics.scope("namer") }),
    );
    // Linkerd tries the namers in reverse order of the config, so that a later namer overrides an earlier one.
    const namers: MountedNamer[] = [...this.namers].reverse();
    const plain = new ConfiguredNamersInterpreter(namers, global);
    const context: InterpreterContext = { namers, global, transformers };
    for (const rc of config.routers) this.#addRouter(rc, context, now, random);
    const pages = new Map<string, AdminPage>();
    // Each router's interpreter state (namerd watches, the dtab file): Linkerd's interpreter_state pages.
    for (const r of this.routers) {
      const admin = r.interpreter.admin;
      if (admin === undefined) continue;
      pages.set(`/${r.label}/interpreter_state/${admin.kind}/${admin.key}.json`, () => ({
        status: 200,
        contentType: JSON_CONTENT_TYPE,
        chunks: [JSON.stringify(admin.state())],
      }));
    }
    this.announcements = new LinkerAnnouncements(config, (c) => announcerKinds.make(c, {}), {
      log: options.log,
    });
    pages.set("/admin/announcer", () => ({
      status: 200,
      contentType: JSON_CONTENT_TYPE,
      chunks: [JSON.stringify(this.announcements.state())],
    }));
    for (const t of config.telemetry) {
      const telemeter = telemeterKinds.make(t, {
        prometheus: (prefix) => prometheusStream(this.metrics, { prefix }),
      });
      for (const [path, page] of telemeter.adminPages) pages.set(path, page);
    }
    this.#admin = createAdminServer({
      config: config.admin,
      metrics: this.metrics,
      routers: this.routers,
      namers: this.namers,
      effectiveConfig: () => config,
      extraPages: pages,
      shutdown: (grace) => options.onShutdownRequest?.(grace),
    });
  }

  #addRouter(rc: RouterConfig, context: InterpreterContext, now: () => number, random: Random): void {
    const scope = this.metrics.scope(["rt", rc.label]);
    if (rc.originator) scope.gauge("originator", () => 1);
    const identifier = firstOf(
      rc.identifier.map((c) => identifierKinds.make(c, { dstPrefix: rc.dstPrefix })),
    );
    const router = new HttpRouter({
      label: rc.label,
      identifier,
      dtab: rc.dtab,
      interpreter: interpreterKinds.make(rc.interpreter, context),
      bindingTimeoutMs: rc.bindingTimeoutMs,
      cache: {
        paths: rc.bindingCache.paths,
        clients: rc.bindingCache.clients,
        idleTtlMs: rc.bindingCache.idleTtlSecs * 1000,
      },
      maxErrHeaderBytes: rc.maxHeadersKB * 1024,
      maxErrBodyBytes: rc.maxErrResponseKB * 1024,
      metrics: scope,
      now,
      random,
      services: servicePolicies(rc.service),
      clientPolicies: clientPolicies(rc.client),
    });
    this.routers.push(router);
    for (const sc of rc.servers) {
      const server = new RouterServer({
        config: sc,
        router,
        metrics: scope,
        maxHeaderBytes: (rc.maxHeadersKB + rc.maxInitialLineKB) * 1024,
        maxTargetBytes: rc.maxInitialLineKB * 1024,
        maxHeaderLinesBytes: rc.maxHeadersKB * 1024,
        now,
      });
      this.servers.push({ router: rc.label, server });
    }
  }

  /** Starts every server and the admin server; if any cannot listen, stops those started and rejects. */
  async start(): Promise<Listening[]> {
    const listening: Listening[] = [];
    try {
      for (const { router, server } of this.servers) {
        const port = await server.listen().catch((e: NodeJS.ErrnoException) => {
          throw new Error(
            `router ${router} cannot listen on ${server.config.ip}:${server.config.port}: ${why(e)}`,
          );
        });
        listening.push({ what: `router ${router}`, ip: server.config.ip, port });
      }
      this.#adminPort = await this.#listenAdmin();
      listening.push({ what: "admin", ip: this.config.admin.ip, port: this.#adminPort });
    } catch (e) {
      await this.stop(0);
      throw e;
    }
    this.announcements.start(
      this.servers.map(({ router, server }, i) => ({
        router,
        config: server.config,
        port: (listening[i] as Listening).port,
      })),
    );
    const snapshots = startSnapshotTimer(this.metrics);
    this.#timers.push(() => snapshots.close());
    const sweep = setInterval(() => {
      for (const r of this.routers) r.sweep();
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    this.#timers.push(() => clearInterval(sweep));
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

  get adminPort(): number {
    return this.#adminPort;
  }

  /**
   * Stops gracefully: announced members are withdrawn first (and the servers keep serving for the announcers'
   * `unannounceDelayMs`, so that clients stop choosing them), then no new connections, requests in flight get up
   * to `graceMs` to finish, then every connection is cut and bindings and pools are released.
   */
  async stop(graceMs = this.config.admin.shutdownGraceMs): Promise<void> {
    await this.announcements.withdraw();
    for (const stop of this.#timers.splice(0)) stop();
    const closing = Promise.all(this.servers.map(({ server }) => server.stopAccepting()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([closing, deadline]);
    clearTimeout(timer);
    for (const { server } of this.servers) server.forceClose();
    for (const r of this.routers) r.close();
    // Interpreters end their namerd connections and file watches.
    for (const r of this.routers) r.interpreter.close?.();
    // Namers end their sessions (ZooKeeper's goes at once rather than at its timeout).
    await Promise.all(this.namers.map((n) => n.close?.()));
    await new Promise<void>((resolve) => {
      if (!this.#admin.listening) return resolve();
      this.#admin.close(() => resolve());
      this.#admin.closeAllConnections();
    });
  }
}

function why(e: NodeJS.ErrnoException): string {
  if (e.code === "EADDRINUSE") return "the address is already in use";
  if (e.code === "EACCES") return "permission denied (ports below 1024 need privileges)";
  if (e.code === "EADDRNOTAVAIL") return "no such local address";
  return e.message;
}
