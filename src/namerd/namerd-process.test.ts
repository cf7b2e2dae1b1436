// The namerd process's wiring: the thrift interface's `cache` keys bound the core's binding and address caches.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateNamerdConfig } from "../config/load-namerd.ts";
import { Dtab, Path } from "../naming/index.ts";
import { NamerdProcess } from "./namerd-process.ts";

function processWith(cache: Record<string, number> | undefined): NamerdProcess {
  return new NamerdProcess(
    validateNamerdConfig({
      storage: { kind: "io.l5d.inMemory", namespaces: { default: "/svc=>/$/inet/127.1/1" } },
      interfaces: [{ kind: "io.l5d.thriftNameInterpreter", port: 0, ...(cache ? { cache } : {}) }],
    }),
    { configDir: "." },
  );
}

/** Observes `n` distinct bindings and addresses; how many each cache tracks while they are observed. */
function sizesWhileObserving(p: NamerdProcess, n: number): { bindings: number; addrs: number } {
  const subs = [];
  for (let i = 0; i < n; i++) {
    subs.push(p.core.bind("default", Dtab.empty, Path.utf8("svc", `n${i}`)).observe(() => {}));
    subs.push(p.core.addr("default", Path.utf8("$", "inet", "127.1", String(1000 + i))).observe(() => {}));
  }
  const sizes = { bindings: p.core.bindings.activeSize, addrs: p.core.addrs.activeSize };
  for (const s of subs) s.close();
  return sizes;
}

describe("NamerdProcess", () => {
  test("the thrift interface's cache keys bound the core's caches, as namerd's do", () => {
    const small = processWith({ bindingCacheActive: 2, bindingCacheInactive: 0, addrCacheActive: 3 });
    assert.deepEqual(sizesWhileObserving(small, 10), { bindings: 2, addrs: 3 });
    small.core.close();
    const defaults = processWith(undefined);
    assert.deepEqual(sizesWhileObserving(defaults, 10), { bindings: 10, addrs: 10 });
    defaults.core.close();
  });
});
