// io.l5d.inMemory: namespaces held in memory only, seeded from the config's `namespaces` map; gone on restart.

import type { Dtab } from "../../naming/index.ts";
import type { DtabStore } from "../core.ts";
import { LocalNamespaces } from "./local-namespaces.ts";
import { checkNamespace } from "./namespace-name.ts";

export class InMemoryDtabStore implements DtabStore {
  readonly #namespaces: LocalNamespaces;

  /** `namespaces`: the initial dtabs; each gets version 1, 2, ... in the map's order. */
  constructor(namespaces: ReadonlyMap<string, Dtab> = new Map()) {
    const dtabs = new Map<string, { dtab: Dtab; seq: bigint }>();
    let seq = 0n;
    for (const [ns, dtab] of namespaces) {
      checkNamespace(ns);
      dtabs.set(ns, { dtab, seq: ++seq });
    }
    this.#namespaces = new LocalNamespaces({ seq, dtabs });
  }

  list() {
    return this.#namespaces.list();
  }
  observe(ns: string) {
    return this.#namespaces.observe(ns);
  }
  create(ns: string, dtab: Dtab) {
    return this.#namespaces.create(ns, dtab);
  }
  update(ns: string, dtab: Dtab, version: Uint8Array) {
    return this.#namespaces.update(ns, dtab, version);
  }
  put(ns: string, dtab: Dtab) {
    return this.#namespaces.put(ns, dtab);
  }
  delete(ns: string) {
    return this.#namespaces.delete(ns);
  }
  async close(): Promise<void> {}
}
