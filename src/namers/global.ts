// The global namer: every `/$/<kind>/...` path (inet, fixedinet, nil, fail and the rewriting kinds); Neg for the rest.

import { Activity, type Name, type Namer, NameTree, type Path } from "../naming/index.ts";
import { InetNamer } from "./inet/inet-namer.ts";
import type { ResolverOptions } from "./inet/resolver.ts";
import { REWRITING_NAMERS, RinetNamer } from "./rewriting.ts";

/** A `/$/<kind>` that no built-in namer answers for. */
export class UnknownNamerError extends Error {
  constructor(kind: string, path: Path) {
    super(`Unknown namer: ${kind} for path: ${path.show}`);
    this.name = "UnknownNamerError";
  }
}

const NIL: Namer = { lookup: () => Activity.value(NameTree.empty) };
const FAIL: Namer = { lookup: () => Activity.value(NameTree.fail) };

/** The `/$/` namers that need no configuration, keyed by kind. */
export function builtinNamers(options: ResolverOptions = {}): Map<string, Namer> {
  const inet = new InetNamer("inet", options);
  return new Map<string, Namer>([
    ["inet", inet],
    ["fixedinet", new InetNamer("fixedinet", options)],
    ["nil", NIL],
    ["fail", FAIL],
    ["io.buoyant.rinet", new RinetNamer(inet)],
    ...REWRITING_NAMERS,
  ]);
}

/** Answers `/$/<kind>/<rest>` with the namer of that kind; a path outside `/$/` is Neg. */
export class GlobalNamer implements Namer {
  readonly #kinds: ReadonlyMap<string, Namer>;

  constructor(kinds: ReadonlyMap<string, Namer> = builtinNamers()) {
    this.#kinds = kinds;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    if (path.size < 2 || path.elems[0] !== "$") return Activity.value(NameTree.neg);
    const kind = path.elems[1] as string;
    const namer = this.#kinds.get(kind);
    if (namer === undefined) return Activity.exception(new UnknownNamerError(kind, path));
    return namer.lookup(path.drop(2));
  }
}
