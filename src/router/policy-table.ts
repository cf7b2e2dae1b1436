// Per-prefix policy (Linkerd's io.l5d.static): every entry whose prefix matches applies, later keys win.

import type { Path } from "../naming/index.ts";
import type { PathPattern } from "../naming/path-pattern.ts";

/** One config entry: its prefix and the keys it sets (keys it leaves out come from earlier entries). */
export interface PolicyEntry<P> {
  readonly prefix: PathPattern;
  readonly params: Partial<P>;
}

/**
 * The policy of a router's services (by logical name) or clients (by bound id). `io.l5d.global` is one entry
 * with the prefix `/`. Resolved once per service or client, when it is first used, never per request.
 */
export class PolicyTable<P extends object> {
  readonly #entries: readonly PolicyEntry<P>[];
  readonly #defaults: P;

  constructor(entries: readonly PolicyEntry<P>[], defaults: P) {
    this.#entries = entries;
    this.#defaults = defaults;
  }

  /** The defaults, overridden by the keys of each entry that matches `path`, in config order. */
  resolve(path: Path): P {
    const out = { ...this.#defaults } as Record<string, unknown>;
    for (const e of this.#entries) {
      if (e.prefix.match(path) === undefined) continue;
      for (const [k, v] of Object.entries(e.params)) if (v !== undefined) out[k] = v;
    }
    return out as P;
  }
}
