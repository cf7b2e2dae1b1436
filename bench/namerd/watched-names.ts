// Many names watched through namerd's thrift interface at once, as proxies would: each bind long-polled, then its id's addr.

import { NamerdDst } from "../../src/interpreters/namerd-dst.ts";
import { NamerdThriftInterpreter } from "../../src/interpreters/namerd-thrift-interpreter.ts";
import { GlobalNamer } from "../../src/namers/global.ts";
import { type Closable, ConfiguredNamersInterpreter, Dtab, Path, readPath } from "../../src/naming/index.ts";

/** One watched name: its binding's observation, the id it is bound to, and whether that id's addresses arrived. */
interface Watched {
  readonly binding: Closable;
  addr: Closable | undefined;
  id: string | undefined;
  resolved: boolean;
}

/**
 * `count` names `/svc/<first + i>` bound in namespace `default` through the io.l5d.namerd interpreter (one
 * ThriftMux connection, each name's bind and its id's addr long-polled), exactly as a proxy's router watches them.
 */
export class WatchedNames {
  readonly #interpreter: NamerdThriftInterpreter;
  readonly #dst: NamerdDst;
  readonly #names: Watched[] = [];
  #closed = false;

  constructor(thriftPort: number, first: number, count: number) {
    const plain = new ConfiguredNamersInterpreter([], new GlobalNamer());
    this.#dst = new NamerdDst(readPath(`/$/inet/127.1/${thriftPort}`), (p) => plain.bind(Dtab.empty, p));
    this.#interpreter = new NamerdThriftInterpreter({
      dst: this.#dst,
      namespace: "default",
      retry: { baseSeconds: 1, maxSeconds: 5 },
      failureThreshold: { minPeriodMs: 5000, closeTimeoutMs: 4000 },
    });
    for (let i = 0; i < count; i++) {
      const w: Watched = { binding: { close() {} }, addr: undefined, id: undefined, resolved: false };
      const activity = this.#interpreter.bind(Dtab.empty, Path.utf8("svc", String(first + i)));
      (w as { binding: Closable }).binding = activity.observe((s) => {
        if (s.kind !== "ok" || s.value.kind !== "leaf") return;
        const bound = s.value.value;
        if (bound.id.show === w.id) return;
        w.id = bound.id.show;
        w.addr?.close();
        w.resolved = false;
        w.addr = bound.addr.observe((a) => {
          w.resolved = a.kind === "bound";
        });
      });
      this.#names.push(w);
    }
  }

  /** How many names are bound with their addresses known, and bound to an id starting with `idPrefix`. */
  count(idPrefix: string): number {
    let n = 0;
    for (const w of this.#names) if (w.resolved && w.id?.startsWith(idPrefix)) n++;
    return n;
  }

  /**
   * Resolves once every name is bound to an id starting with `idPrefix` with its addresses (looking every 5 ms,
   * so the time is known to 5 ms); false on timeout.
   */
  async untilAll(idPrefix: string, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.count(idPrefix) < this.#names.length) {
      if (performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Stops watching (once; later calls do nothing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#names) {
      w.addr?.close();
      w.binding.close();
    }
    this.#interpreter.close();
  }
}
