// The io.l5d.serversets announcer: registers members as ephemeral sequential znodes in ZooKeeper serversets.

import { znodePath } from "../namers/serversets/serverset-path.ts";
import { type ZkAddr, ZkClient } from "../namers/serversets/zk-client.ts";
import type { Path, Timers } from "../naming/index.ts";
import type { Announcer, Registration } from "./announcer.ts";
import { type MemberSpec, memberData } from "./member-data.ts";
import { type RegistrationState, ZkRegistration } from "./zk-registration.ts";

export interface ServersetsAnnouncerOptions {
  readonly zkAddrs: readonly ZkAddr[];
  /** The znode under which announced names go (`/discovery`). */
  readonly pathPrefix: Path;
  /** The full prefix of the names it announces (`/#/io.l5d.serversets`). */
  readonly prefix: Path;
  readonly sessionTimeoutMs?: number;
  readonly unannounceDelayMs?: number;
  readonly timers?: Timers;
}

/**
 * Announces `/#/<prefix>/<name...>` as a member of the serverset `<pathPrefix>/<name...>`, in the JSON of
 * Finagle's ZkAnnouncer (which Linkerd uses). One ZooKeeper session for all its members, opened on the first
 * announcement and ended by `close()`.
 */
export class ServersetsAnnouncer implements Announcer {
  readonly kind = "io.l5d.serversets";
  readonly prefix: Path;
  readonly unannounceDelayMs: number;
  readonly #options: ServersetsAnnouncerOptions;
  #client: ZkClient | undefined;

  constructor(options: ServersetsAnnouncerOptions) {
    this.#options = options;
    this.prefix = options.prefix;
    this.unannounceDelayMs = options.unannounceDelayMs ?? 1000;
  }

  /** The ZooKeeper session, once something was announced. */
  get client(): ZkClient | undefined {
    return this.#client;
  }

  /** The serverset znode a name goes to, or undefined when a label cannot be a znode name. */
  serversetPath(name: Path): string | undefined {
    const labels = [...this.#options.pathPrefix.utf8Elems, ...name.utf8Elems];
    const last = labels.pop();
    return last === undefined ? undefined : znodePath(labels, last);
  }

  announce(name: Path, member: MemberSpec, onChange?: (state: RegistrationState) => void): Registration {
    const path = this.serversetPath(name);
    if (path === undefined || name.size === 0)
      throw new Error(`${this.prefix.concat(name).show} names no serverset znode`);
    this.#client ??= new ZkClient(this.#options.zkAddrs, {
      sessionTimeoutMs: this.#options.sessionTimeoutMs,
    });
    const registration = new ZkRegistration(this.#client, path, memberData(member), {
      timers: this.#options.timers,
      onChange,
    });
    return {
      where: path,
      get state() {
        return registration.state;
      },
      setWanted: (wanted) => registration.setWanted(wanted),
      withdraw: (timeoutMs) => registration.withdraw(timeoutMs),
    };
  }

  state(): Record<string, unknown> {
    const c = this.#client;
    return {
      kind: this.kind,
      prefix: this.prefix.show,
      zkAddrs: c?.connectString ?? this.#options.zkAddrs.map((a) => `${a.host}:${a.port}`).join(","),
      pathPrefix: this.#options.pathPrefix.show,
      connection: c?.state ?? "idle",
      session:
        c === undefined
          ? null
          : { number: c.sessionNumber, id: c.sessionIdHex() ?? null, timeoutMs: c.sessionTimeoutMs },
    };
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }
}
