// A proxy's announcements: each server's `announce` names given to the announcers whose prefix they start with.

import type { LinkerConfig, ServerConfig } from "../config/linker-schema.ts";
import type { PluginConfig } from "../config/registry.ts";
import type { Path, Timers } from "../naming/index.ts";
import { announcedHost, type Interfaces } from "./announce-address.ts";
import { Announcement } from "./announcement.ts";
import type { Announcer } from "./announcer.ts";
import { HealthCheck, type Probe } from "./health-check.ts";

/** A server once it listens: its router's label, its config and the port it got. */
export interface ListeningServer {
  readonly router: string;
  readonly config: ServerConfig;
  readonly port: number;
}

export interface LinkerAnnouncementsOptions {
  readonly log?: (line: string) => void;
  readonly interfaces?: Interfaces;
  readonly timers?: Timers;
  readonly probe?: Probe;
}

/** How long stopping waits for ZooKeeper to confirm that the members are gone. */
const WITHDRAW_TIMEOUT_MS = 3000;

/**
 * Builds the announcers of a linker config (each router's `announcers`, then the top-level ones) and, once the
 * servers listen, announces each server's address under each of its `announce` names through every announcer
 * whose prefix the name starts with (as Linkerd does; the config checks refused names no announcer takes).
 */
export class LinkerAnnouncements {
  readonly #byRouter = new Map<string, Announcer[]>();
  readonly #announcers: Announcer[] = [];
  readonly #options: LinkerAnnouncementsOptions;
  readonly #announcements: Announcement[] = [];
  #withdrawn: Promise<void> | undefined;

  constructor(
    config: LinkerConfig,
    make: (c: PluginConfig) => Announcer,
    options: LinkerAnnouncementsOptions = {},
  ) {
    this.#options = options;
    const shared = config.announcers.map(make);
    this.#announcers.push(...shared);
    for (const r of config.routers) {
      const own = r.announcers.map(make);
      this.#announcers.push(...own);
      this.#byRouter.set(r.label, [...own, ...shared]);
    }
  }

  /** Whether any server announces anything. */
  get isEmpty(): boolean {
    return this.#announcements.length === 0;
  }

  /** Announces every listening server under its names (the announcers keep trying until ZooKeeper answers). */
  start(servers: readonly ListeningServer[]): void {
    const log = this.#options.log;
    for (const s of servers) {
      const host = announcedHost(s.config.ip, this.#options.interfaces);
      const seen = new Set<string>();
      for (const name of s.config.announce) {
        for (const announcer of this.#byRouter.get(s.router) ?? []) {
          if (!name.startsWith(announcer.prefix)) continue;
          const key = `${this.#announcers.indexOf(announcer)} ${name.show}`;
          if (seen.has(key)) continue;
          seen.add(key);
          try {
            const a = new Announcement({
              announcer,
              name,
              member: { serviceEndpoint: { host, port: s.port } },
              health: this.#healthCheck(s),
              log,
              labels: { router: s.router, server: `${s.config.ip}:${s.port}` },
            });
            this.#announcements.push(a);
            a.start();
          } catch (e) {
            log?.(`cannot announce ${name.show}: ${(e as Error).message}`);
          }
        }
      }
    }
  }

  #healthCheck(s: ListeningServer): HealthCheck | undefined {
    const h = s.config.healthCheck;
    if (h === undefined) return undefined;
    let url: URL;
    if (h.url !== undefined) url = new URL(h.url);
    else {
      const ip = ["0.0.0.0", "::", "[::]"].includes(s.config.ip) ? "127.0.0.1" : s.config.ip;
      url = new URL(`http://${ip.includes(":") ? `[${ip}]` : ip}:${s.port}${h.path ?? "/"}`);
    }
    return new HealthCheck(
      {
        url,
        host: h.host,
        intervalMs: h.intervalMs,
        timeoutMs: h.timeoutMs,
        healthyThreshold: h.healthyThreshold,
        unhealthyThreshold: h.unhealthyThreshold,
      },
      { timers: this.#options.timers, probe: this.#options.probe },
    );
  }

  /**
   * Takes every member out of the registry before the servers stop: removes them (waiting up to 3 s for
   * ZooKeeper), ends the announcers' sessions, then keeps serving for the longest `unannounceDelayMs` of the
   * announcers that had registered something, so that clients see the members go before the listeners close.
   */
  withdraw(): Promise<void> {
    this.#withdrawn ??= this.#withdraw();
    return this.#withdrawn;
  }

  async #withdraw(): Promise<void> {
    const registered = this.#announcements.filter((a) => a.registration.state.node !== null);
    await Promise.all(this.#announcements.map((a) => a.withdraw(WITHDRAW_TIMEOUT_MS)));
    await Promise.all(this.#announcers.map((a) => a.close()));
    const delay = Math.max(0, ...registered.map((a) => a.announcer.unannounceDelayMs));
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** What `/admin/announcer` shows: each announcer's connection and each announcement's state. */
  state(): Record<string, unknown> {
    return {
      announcers: this.#announcers.map((a) => a.state()),
      announcements: this.#announcements.map((a) => a.toJSON()),
    };
  }

  /** The announced names, for tests and logs. */
  get names(): Path[] {
    return this.#announcements.map((a) => a.name);
  }
}
