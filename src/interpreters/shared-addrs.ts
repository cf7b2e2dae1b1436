// The addresses of bound ids a namerd interpreter watches: one watch per id, shared while it is observed.

import { Addr, type Path, Var } from "../naming/index.ts";
import type { Watch } from "./watch-loop.ts";

/** One watch on namerd, as the interpreter's state page shows it. */
export interface WatchEntry {
  readonly label: string;
  watch: Watch | undefined;
  shown: string;
}

/** Where a watch hands what namerd says about an id's address. */
export interface AddrSink {
  onValue(addr: Addr): void;
  onFailure(reason: string): void;
}

/**
 * The Var of each id's address: its watch starts when the Var is first observed and stops when nobody
 * observes it any more; meanwhile every binding that names the id shares it.
 */
export class SharedAddrs {
  readonly entries = new Map<string, { addr: Var<Addr>; entry: WatchEntry }>();

  /** The address of `id`, watched with `start` the first time it is observed. */
  get(id: Path, start: (sink: AddrSink) => Watch): Var<Addr> {
    const key = id.show;
    const live = this.entries.get(key);
    if (live !== undefined) return live.addr;
    const entry: WatchEntry = { label: key, watch: undefined, shown: "pending" };
    const addr = Var.async<Addr>(Addr.pending, (set) => {
      this.entries.set(key, { addr, entry });
      entry.watch = start({
        onValue: (a) => {
          entry.shown = Addr.describe(a);
          set(a);
        },
        onFailure: (reason) => {
          entry.shown = `failed: ${reason}`;
          set(Addr.failed(reason));
        },
      });
      return {
        close: () => {
          entry.watch?.close();
          entry.watch = undefined;
          if (this.entries.get(key)?.entry === entry) this.entries.delete(key);
        },
      };
    });
    return addr;
  }

  /** Stops every watch (the interpreter is closing). */
  closeAll(): void {
    for (const { entry } of this.entries.values()) entry.watch?.close();
  }
}
