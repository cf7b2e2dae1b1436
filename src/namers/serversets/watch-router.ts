// One stable watcher function per znode path, for as long as the ZooKeeper library holds it, routed to whoever watches that path now.

import type { ZkWatchEvent, ZkWatcher } from "./zk-client.ts";

/**
 * ZooKeeper watches fire once. The library keeps each watcher function it is given until the watch fires, so
 * handing it a new function for a path it already watches would pile them up. This hands out the same
 * function for a path until that watch fires (or the session is replaced), and routes each event to the
 * handler now registered for the path, if any, so that a serverset watched, dropped and watched again shares
 * the watch already set.
 */
export class WatchRouter {
  readonly #held = new Map<string, ZkWatcher>();
  readonly #routes = new Map<string, (event: ZkWatchEvent) => void>();

  /** The watcher to give the client for `path`. */
  watcherFor(path: string): ZkWatcher {
    let f = this.#held.get(path);
    if (f === undefined) {
      const watcher: ZkWatcher = (event) => {
        if (this.#held.get(path) === watcher) this.#held.delete(path);
        this.#routes.get(path)?.(event);
      };
      f = watcher;
      this.#held.set(path, f);
    }
    return f;
  }

  /** Sends the events of `path` to `handler` (replacing any other). */
  route(path: string, handler: (event: ZkWatchEvent) => void): void {
    this.#routes.set(path, handler);
  }

  unroute(path: string): void {
    this.#routes.delete(path);
  }

  /** A new session holds no watches: every function handed out so far is forgotten. */
  reset(): void {
    this.#held.clear();
  }

  /** How many watches the library holds for us, as far as we know. */
  get watchCount(): number {
    return this.#held.size;
  }
}
