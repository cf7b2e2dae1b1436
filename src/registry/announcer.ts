// What an announcer kind provides: registering a member under a name in a service registry, and its state.

import type { Path } from "../naming/index.ts";
import type { MemberSpec } from "./member-data.ts";
import type { RegistrationState } from "./zk-registration.ts";

/** One member kept registered while wanted (a passing health check), until withdrawn. */
export interface Registration {
  /** Where the member is registered (a serverset znode path). */
  readonly where: string;
  readonly state: RegistrationState;
  setWanted(wanted: boolean): void;
  /** Removes the member for good; resolves true once it is gone, false if not within `timeoutMs`. */
  withdraw(timeoutMs: number): Promise<boolean>;
}

export interface Announcer {
  readonly kind: string;
  /** The names it announces begin with this (`/#/io.l5d.serversets` by default). */
  readonly prefix: Path;
  /** How long a proxy keeps serving after withdrawing its members on shutdown, so that clients notice first. */
  readonly unannounceDelayMs: number;
  /** Prepares `member` under `name` (the announced name without the prefix); registered once wanted. */
  announce(name: Path, member: MemberSpec, onChange?: (state: RegistrationState) => void): Registration;
  /** The announcer's own state (its connection), for `/admin/announcer`. */
  state(): Record<string, unknown>;
  /** Ends its session: whatever is still registered goes. */
  close(): Promise<void>;
}
