// Fixtures shared by the transformer tests: addresses, bound names on Cells, recorded observations and fake lookups.

import assert from "node:assert/strict";
import {
  type Activity,
  Addr,
  type Address,
  BoundName,
  type Closable,
  type Meta,
  NameTree,
  readPath,
  type Var,
} from "../naming/index.ts";

export function inet(ip: string, port: number, meta?: Meta): Address {
  return Addr.address(ip, port, meta);
}

/** A bound name with id and residual given in their shown form. */
export function boundName(id: string, addr: Var<Addr>, residual = "/"): BoundName {
  return new BoundName(readPath(id), addr, readPath(residual));
}

export interface Recording<T> {
  readonly values: T[];
  readonly sub: Closable;
  readonly last: () => T;
}

/** Observes `v`, keeping every value it gives. */
export function record<T>(v: Var<T>): Recording<T> {
  const values: T[] = [];
  const sub = v.observe((x) => values.push(x));
  return { values, sub, last: () => values[values.length - 1] as T };
}

/** The Activity's current value; fails the test if it is Pending or Failed. */
export function okValue<T>(a: Activity<T>): T {
  const s = a.sample();
  if (s.kind === "failed") assert.fail(`expected a value, got failure: ${s.error.message}`);
  if (s.kind !== "ok") assert.fail("expected a value, got pending");
  return s.value;
}

/** The tree shown with each bound name as its id, e.g. `/%/io.l5d.port/4141/#/io.l5d.fs/a | ~`. */
export function showIds(tree: NameTree<BoundName>): string {
  return NameTree.show(tree, (b) => b.id.show);
}

/** The only leaf of a tree that has exactly one. */
export function onlyLeaf(tree: NameTree<BoundName>): BoundName {
  const leaves = NameTree.leaves(tree);
  assert.equal(leaves.length, 1, `expected one leaf in ${showIds(tree)}`);
  return leaves[0] as BoundName;
}

/** A promise settled from outside: how a test decides when a lookup answers. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every already-settled promise's callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A host lookup answering from a table, counting its calls; unknown names fail as the system's do. */
export function tableLookup(table: Readonly<Record<string, readonly string[]>>) {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<string[]> => {
    calls.push(host);
    const found = table[host];
    if (found === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    }
    return [...found];
  };
  return { lookup, calls };
}
