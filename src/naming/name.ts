// Names: a logical Path or a BoundName (id, residual, changing Addr), and the Namer that turns paths into trees of them.

import type { Activity } from "./activity.ts";
import { Addr, type Address, WEIGHT_META_KEY } from "./addr.ts";
import type { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import type { Var } from "./var.ts";

/**
 * A name bound to a replica set. `id` identifies the client (two bindings with the same id share one);
 * `residual` is the rest of the logical path that the namer did not consume; `addr` changes as discovery does.
 */
export class BoundName {
  readonly id: Path;
  readonly residual: Path;
  readonly addr: Var<Addr>;

  constructor(id: Path, addr: Var<Addr>, residual: Path = Path.empty) {
    this.id = id;
    this.addr = addr;
    this.residual = residual;
  }

  /** The same binding with every address carrying `weight` (how a Union branch's weight reaches the balancer). */
  withWeight(weight: number): BoundName {
    if (weight === 1) return this;
    const addr = this.addr.map((a): Addr => {
      if (a.kind !== "bound") return a;
      return Addr.bound(
        a.addrs.map((x): Address => ({ ...x, meta: { ...x.meta, [WEIGHT_META_KEY]: weight } })),
        a.meta,
      );
    });
    return new BoundName(this.id, addr, this.residual);
  }

  equals(other: BoundName): boolean {
    return this === other || (this.id.equals(other.id) && this.residual.equals(other.residual));
  }

  toString(): string {
    return this.residual.isEmpty ? this.id.show : `${this.id.show} (residual ${this.residual.show})`;
  }
}

/** A name in a tree before binding is finished: a path still to look up, or a bound name. */
export type Name = Path | BoundName;

export function isBound(name: Name): name is BoundName {
  return name instanceof BoundName;
}

export function showName(name: Name): string {
  return name instanceof BoundName ? name.id.show : name.show;
}

export function nameEquals(a: Name, b: Name): boolean {
  if (a instanceof BoundName) return b instanceof BoundName && a.equals(b);
  return b instanceof Path && a.equals(b);
}

/**
 * Resolves the part of a path after its prefix (`/#/<prefix>` for a configured namer, `/$/<kind>` for a
 * built-in one) into a tree of names: bound leaves where it knows the endpoints, paths to look up further,
 * or Neg where the name is not its to give.
 */
export interface Namer {
  lookup(path: Path): Activity<NameTree<Name>>;
}
