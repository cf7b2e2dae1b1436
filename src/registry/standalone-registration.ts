// `trellis register`'s work: one member registered in a ZooKeeper serverset until stopped, gated by a health check.

import type { ZkAddr } from "../namers/serversets/zk-client.ts";
import { Path } from "../naming/index.ts";
import { Announcement } from "./announcement.ts";
import { HealthCheck, type HealthCheckSettings } from "./health-check.ts";
import type { MemberSpec } from "./member-data.ts";
import { ServersetsAnnouncer } from "./serversets-announcer.ts";

export interface StandaloneRegistrationOptions {
  readonly zkAddrs: readonly ZkAddr[];
  /** The serverset znode, e.g. `/discovery/pong`. */
  readonly serverset: string;
  readonly member: MemberSpec;
  readonly health?: HealthCheckSettings | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  readonly log: (line: string) => void;
}

/** How long stopping waits for ZooKeeper to confirm the member is gone. */
const WITHDRAW_TIMEOUT_MS = 3000;

/** A service registered without a sidecar: the same announcer and health gating a proxy uses. */
export class StandaloneRegistration {
  readonly announcer: ServersetsAnnouncer;
  readonly announcement: Announcement;

  constructor(o: StandaloneRegistrationOptions) {
    this.announcer = new ServersetsAnnouncer({
      zkAddrs: o.zkAddrs,
      pathPrefix: Path.empty,
      prefix: Path.empty,
      sessionTimeoutMs: o.sessionTimeoutMs,
    });
    this.announcement = new Announcement({
      announcer: this.announcer,
      name: Path.utf8(...o.serverset.split("/").slice(1)),
      member: o.member,
      health: o.health === undefined ? undefined : new HealthCheck(o.health),
      log: o.log,
    });
  }

  start(): void {
    this.announcement.start();
  }

  /** Removes the member and ends the session; false when ZooKeeper could not confirm the removal in time. */
  async stop(): Promise<boolean> {
    const removed = await this.announcement.withdraw(WITHDRAW_TIMEOUT_MS);
    await this.announcer.close();
    return removed;
  }
}
