// The default interpreter: binds a path through a dtab, the configured `/#/` namers, then the built-in `/$/` namers.

import { Activity, asError, State } from "./activity.ts";
import { bindTree, MAX_DEPTH, RecursionLimitError } from "./bind.ts";
import { DelegateTree } from "./delegate-tree.ts";
import { type Dentry, type Dtab, rewrite } from "./dtab.ts";
import type { BoundName, Name, Namer } from "./name.ts";
import { BoundName as Bound } from "./name.ts";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { Var } from "./var.ts";

/** Turns a logical path into a tree of bound names, given the dtab in force for the request. */
export interface NameInterpreter {
  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>>;
}

/** An interpreter that can also explain itself: the delegation tree behind a binding. */
export interface Delegator {
  delegate(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>>;
}

/** The prefix under which configured namers are reached: `/#/<namer prefix>`. */
export const CONFIGURED_NAMER_PREFIX = Path.of("#");

/** A configured namer and the full path prefix it answers for (e.g. `/#/io.l5d.fs`). */
export interface MountedNamer {
  readonly prefix: Path;
  readonly namer: Namer;
}

/**
 * Linkerd's default interpreter. A path is looked up in the dtab; when the dtab has nothing for it (Neg), the
 * configured namers whose prefix it starts with are tried in order (a Neg answer falls through to the next),
 * then the built-in `global` namer of `/$/` paths.
 */
export class ConfiguredNamersInterpreter implements NameInterpreter, Delegator {
  readonly #namers: readonly MountedNamer[];
  readonly #global: Namer;

  constructor(namers: readonly MountedNamer[], global: Namer) {
    this.#namers = namers;
    this.#global = global;
  }

  /** What the namers (not the dtab) make of a path. */
  lookup(path: Path): Activity<NameTree<Name>> {
    return this.#lookupNamers(0, path);
  }

  #lookupNamers(from: number, path: Path): Activity<NameTree<Name>> {
    for (let i = from; i < this.#namers.length; i++) {
      const { prefix, namer } = this.#namers[i] as MountedNamer;
      if (!path.startsWith(prefix)) continue;
      return safeLookup(namer, path.drop(prefix.size)).flatMap((t) =>
        t.kind === "neg" ? this.#lookupNamers(i + 1, path) : Activity.value(t),
      );
    }
    return safeLookup(this.#global, path);
  }

  #lookupIn(dtab: Dtab): (path: Path) => Activity<NameTree<Name>> {
    return (path) => {
      const viaDtab = dtab.lookup(path);
      if (viaDtab.kind !== "neg") return Activity.value(viaDtab as NameTree<Name>);
      return this.lookup(path);
    };
  }

  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>> {
    return bindTree(this.#lookupIn(dtab), NameTree.leaf(path));
  }

  delegate(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    const start: DelegateTree<Name> = { kind: "leaf", path, dentry: DelegateTree.nop, value: path };
    return this.#delegateBind(dtab, 0, start).map((t) => DelegateTree.simplify(t));
  }

  /** One step of delegation: the dtab's matches for `path` (all of them), else what the namers say. */
  #delegateLookup(dtab: Dtab, dentry: Dentry, path: Path): Activity<DelegateTree<Name>> {
    const matches = dtab
      .matching(path)
      .map((d) => DelegateTree.fromNameTree<Name>(path, d, rewrite(d, path)));
    let result: Activity<DelegateTree<Name>>;
    if (matches.length === 0) {
      // As Linkerd: when the namers have nothing either, the Neg stands at the path looked up.
      result = this.lookup(path).map(
        (t): DelegateTree<Name> =>
          t.kind === "neg" ? { kind: "neg", path, dentry } : DelegateTree.fromNameTree(path, dentry, t),
      );
    } else if (matches.length === 1) {
      result = Activity.value({ kind: "delegate", path, dentry, tree: matches[0] as DelegateTree<Name> });
    } else {
      result = Activity.value({ kind: "alt", path, dentry, trees: matches });
    }
    return result.handle((e) => ({ kind: "exception", path, dentry, message: e.message }));
  }

  #delegateBind(dtab: Dtab, depth: number, tree: DelegateTree<Name>): Activity<DelegateTree<BoundName>> {
    if (depth > MAX_DEPTH) return Activity.exception(new RecursionLimitError());
    switch (tree.kind) {
      case "exception":
      case "empty":
      case "fail":
      case "neg":
        return Activity.value(tree);
      case "leaf": {
        const value = tree.value;
        if (value instanceof Bound) return Activity.value({ ...tree, value });
        return this.#delegateLookup(dtab, tree.dentry, value).flatMap((t) =>
          this.#delegateBind(dtab, depth + 1, t),
        );
      }
      case "delegate":
        return this.#delegateBind(dtab, depth, tree.tree).map((t) => ({ ...tree, tree: t }));
      case "transformation": {
        const value = tree.value;
        if (!(value instanceof Bound)) {
          return Activity.exception(
            new Error(`transformation ${tree.name} of an unbound name ${value.show}`),
          );
        }
        return this.#delegateBind(dtab, depth, tree.tree).map((t) => ({ ...tree, value, tree: t }));
      }
      case "alt": {
        if (tree.trees.length === 0)
          return Activity.value({ kind: "neg", path: tree.path, dentry: tree.dentry });
        if (tree.trees.length === 1) {
          return this.#delegateBind(dtab, depth, tree.trees[0] as DelegateTree<Name>).map((t) => ({
            kind: "delegate",
            path: tree.path,
            dentry: tree.dentry,
            tree: t,
          }));
        }
        const branches = tree.trees.map((t) => this.#delegateBind(dtab, depth, t).states);
        return new Activity(
          Var.collect(branches).map((states) =>
            collectOks(states, (oks) => ({ kind: "alt", path: tree.path, dentry: tree.dentry, trees: oks })),
          ),
        );
      }
      case "union": {
        if (tree.trees.length === 0)
          return Activity.value({ kind: "neg", path: tree.path, dentry: tree.dentry });
        if (tree.trees.length === 1) {
          const only = tree.trees[0]?.tree as DelegateTree<Name>;
          return this.#delegateBind(dtab, depth, only).map((t) => ({
            kind: "delegate",
            path: tree.path,
            dentry: tree.dentry,
            tree: t,
          }));
        }
        const branches = tree.trees.map(
          (w) => this.#delegateBind(dtab, depth, w.tree).map((t) => ({ weight: w.weight, tree: t })).states,
        );
        return new Activity(
          Var.collect(branches).map((states) =>
            collectOks(states, (oks) => ({
              kind: "union",
              path: tree.path,
              dentry: tree.dentry,
              trees: oks,
            })),
          ),
        );
      }
    }
  }
}

/** Every branch that came out Ok, in order; if none did, the first failure, else Pending. */
function collectOks<T, R>(states: readonly State<T>[], make: (oks: T[]) => R): State<R> {
  const oks: T[] = [];
  for (const s of states) if (s.kind === "ok") oks.push(s.value);
  if (oks.length > 0) return State.ok(make(oks));
  return (states.find((s) => s.kind === "failed") as State<R> | undefined) ?? State.pending;
}

function safeLookup(namer: Namer, path: Path): Activity<NameTree<Name>> {
  try {
    return namer.lookup(path);
  } catch (e) {
    return Activity.exception(asError(e));
  }
}
