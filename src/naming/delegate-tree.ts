// DelegateTree: the record of a delegation (every branch, each node with its path and dentry), simplified as Linkerd does.

import { Dentry } from "./dtab.ts";
import type { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";

interface Node {
  readonly path: Path;
  readonly dentry: Dentry;
}

export interface DelegateWeighted<T> {
  readonly weight: number;
  readonly tree: DelegateTree<T>;
}

export type DelegateTree<T> =
  | (Node & { readonly kind: "exception"; readonly message: string })
  | (Node & { readonly kind: "empty" })
  | (Node & { readonly kind: "fail" })
  | (Node & { readonly kind: "neg" })
  | (Node & { readonly kind: "delegate"; readonly tree: DelegateTree<T> })
  | (Node & { readonly kind: "leaf"; readonly value: T })
  | (Node & { readonly kind: "alt"; readonly trees: readonly DelegateTree<T>[] })
  | (Node & { readonly kind: "union"; readonly trees: readonly DelegateWeighted<T>[] })
  | {
      readonly kind: "transformation";
      readonly path: Path;
      readonly dentry: Dentry;
      /** The transformer's name, e.g. `io.l5d.port`. */
      readonly name: string;
      readonly value: T;
      readonly tree: DelegateTree<T>;
    };

export const DelegateTree = {
  /** A delegate tree for `names`, every node at `path` with `dentry` (Neg nodes get the empty path, as Linkerd's). */
  fromNameTree<T>(path: Path, dentry: Dentry, names: NameTree<T>): DelegateTree<T> {
    switch (names.kind) {
      case "empty":
        return { kind: "empty", path, dentry };
      case "fail":
        return { kind: "fail", path, dentry };
      case "neg":
        return { kind: "neg", path: Path.empty, dentry };
      case "leaf":
        return { kind: "leaf", path, dentry, value: names.value };
      case "alt":
        return {
          kind: "alt",
          path,
          dentry,
          trees: names.trees.map((t) => DelegateTree.fromNameTree(path, dentry, t)),
        };
      case "union":
        return {
          kind: "union",
          path,
          dentry,
          trees: names.trees.map((w) => ({
            weight: w.weight,
            tree: DelegateTree.fromNameTree(path, dentry, w.tree),
          })),
        };
    }
  },

  withDentry<T>(tree: DelegateTree<T>, dentry: Dentry): DelegateTree<T> {
    return tree.kind === "transformation" ? tree : { ...tree, dentry };
  },

  /**
   * Linkerd's simplification: a Delegate whose child has the same path collapses into the child (which takes
   * the Delegate's dentry), unless the child is Neg, Fail or Empty; single-branch Alts and Unions become
   * Delegates; an Alt's child Alt at the same path is flattened into it.
   */
  simplify<T>(tree: DelegateTree<T>): DelegateTree<T> {
    switch (tree.kind) {
      case "delegate": {
        const child = DelegateTree.simplify(tree.tree);
        const keep = child.kind === "neg" || child.kind === "fail" || child.kind === "empty";
        if (!keep && child.path.equals(tree.path)) return DelegateTree.withDentry(child, tree.dentry);
        return { kind: "delegate", path: tree.path, dentry: tree.dentry, tree: child };
      }
      case "alt": {
        if (tree.trees.length === 0) return { kind: "neg", path: tree.path, dentry: tree.dentry };
        if (tree.trees.length === 1) {
          return DelegateTree.simplify({
            kind: "delegate",
            path: tree.path,
            dentry: tree.dentry,
            tree: tree.trees[0] as DelegateTree<T>,
          });
        }
        const flat: DelegateTree<T>[] = [];
        for (const t of tree.trees) {
          const s = DelegateTree.simplify(t);
          if (s.kind === "alt" && s.path.equals(tree.path)) flat.push(...s.trees);
          else flat.push(s);
        }
        return { kind: "alt", path: tree.path, dentry: tree.dentry, trees: flat };
      }
      case "union": {
        if (tree.trees.length === 0) return { kind: "neg", path: tree.path, dentry: tree.dentry };
        if (tree.trees.length === 1) {
          return DelegateTree.simplify({
            kind: "delegate",
            path: tree.path,
            dentry: tree.dentry,
            tree: (tree.trees[0] as DelegateWeighted<T>).tree,
          });
        }
        return {
          kind: "union",
          path: tree.path,
          dentry: tree.dentry,
          trees: tree.trees.map((w) => ({ weight: w.weight, tree: DelegateTree.simplify(w.tree) })),
        };
      }
      default:
        return tree;
    }
  },

  /** Every leaf value, left to right (transformation values included). */
  values<T>(tree: DelegateTree<T>, into: T[] = []): T[] {
    switch (tree.kind) {
      case "leaf":
        into.push(tree.value);
        break;
      case "delegate":
        DelegateTree.values(tree.tree, into);
        break;
      case "transformation":
        into.push(tree.value);
        DelegateTree.values(tree.tree, into);
        break;
      case "alt":
        for (const t of tree.trees) DelegateTree.values(t, into);
        break;
      case "union":
        for (const w of tree.trees) DelegateTree.values(w.tree, into);
        break;
    }
    return into;
  },

  nop: Dentry.nop,
};
