// One announced member: its registration, gated by an optional health check, with what it did told as log lines.

import type { Path } from "../naming/index.ts";
import type { Announcer, Registration } from "./announcer.ts";
import type { HealthCheck } from "./health-check.ts";
import { type MemberSpec, showEndpoint } from "./member-data.ts";
import type { RegistrationState } from "./zk-registration.ts";

export interface AnnouncementOptions {
  readonly announcer: Announcer;
  /** The full announced name (`/#/io.l5d.serversets/pong`). */
  readonly name: Path;
  readonly member: MemberSpec;
  /** When given, the member is registered only while it passes. */
  readonly health?: HealthCheck | undefined;
  /** Told in a line when the member is registered, removed, or cannot be registered. */
  readonly log?: (line: string) => void;
  /** Extra fields for `/admin/announcer` (the router and server it belongs to). */
  readonly labels?: Record<string, string>;
}

/** Registers a member under a name through an announcer, while its health check (if any) passes. */
export class Announcement {
  readonly name: Path;
  readonly member: MemberSpec;
  readonly announcer: Announcer;
  readonly health: HealthCheck | undefined;
  readonly registration: Registration;
  readonly #log: (line: string) => void;
  readonly #labels: Record<string, string>;
  #lastNode: string | null = null;
  #lastError: string | null = null;

  constructor(o: AnnouncementOptions) {
    this.name = o.name;
    this.member = o.member;
    this.announcer = o.announcer;
    this.health = o.health;
    this.#log = o.log ?? (() => {});
    this.#labels = o.labels ?? {};
    this.registration = o.announcer.announce(o.name.drop(o.announcer.prefix.size), o.member, (s) =>
      this.#onChange(s),
    );
  }

  get address(): string {
    return showEndpoint(this.member.serviceEndpoint);
  }

  /** Starts registering: at once, or each time the health check starts passing. */
  start(): void {
    if (this.health === undefined) {
      this.registration.setWanted(true);
      return;
    }
    this.health.start((passing) => {
      if (!passing) {
        const why = (this.health?.toJSON().lastError as string | null) ?? "failing";
        this.#log(`health check of ${this.address} failing (${why}): withdrawing it from ${this.name.show}`);
      }
      this.registration.setWanted(passing);
    });
  }

  /** Stops the health check and removes the member; false if ZooKeeper could not be told within `timeoutMs`. */
  withdraw(timeoutMs: number): Promise<boolean> {
    this.health?.stop();
    return this.registration.withdraw(timeoutMs);
  }

  #onChange(s: RegistrationState): void {
    if (s.node !== this.#lastNode) {
      if (s.node !== null) this.#log(`announced ${this.address} as ${s.node}`);
      else if (this.#lastNode !== null) this.#log(`removed ${this.#lastNode} (${this.address})`);
      this.#lastNode = s.node;
    }
    if (s.lastError !== this.#lastError) {
      if (s.lastError !== null)
        this.#log(`cannot register ${this.address} in ${this.registration.where} yet: ${s.lastError}`);
      this.#lastError = s.lastError;
    }
  }

  toJSON(): Record<string, unknown> {
    const s = this.registration.state;
    return {
      ...this.#labels,
      name: this.name.show,
      address: this.address,
      announcer: this.announcer.prefix.show,
      serverset: this.registration.where,
      state: s.status,
      node: s.node,
      health: this.health?.toJSON() ?? null,
      lastError: s.lastError,
    };
  }
}
