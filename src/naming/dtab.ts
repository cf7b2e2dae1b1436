// Dtab: delegation tables (prefix => tree entries), their shown form, concatenation and Finagle's lookup.

import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";

/** The `*` element of a dentry prefix: matches any one label. */
export const ANY = Symbol("*");
export type PrefixElem = string | typeof ANY;

/** A dentry's prefix: labels and `*` wildcards. */
export class Prefix {
  static readonly empty: Prefix = new Prefix([]);
  readonly elems: readonly PrefixElem[];
  readonly #hasWildcard: boolean;
  #shown: string | undefined;

  constructor(elems: readonly PrefixElem[]) {
    this.elems = Object.freeze(elems.slice());
    this.#hasWildcard = elems.includes(ANY);
  }

  static fromPath(path: Path): Prefix {
    return new Prefix(path.elems);
  }

  get size(): number {
    return this.elems.length;
  }

  /** True when every element matches the path's label at the same place (the path may be longer). */
  matches(path: Path): boolean {
    const labels = path.elems;
    const elems = this.elems;
    if (elems.length > labels.length) return false;
    for (let i = 0; i < elems.length; i++) {
      const e = elems[i];
      if (e !== ANY && e !== labels[i]) return false;
    }
    return true;
  }

  get hasWildcard(): boolean {
    return this.#hasWildcard;
  }

  get show(): string {
    if (this.#shown === undefined) {
      this.#shown =
        this.elems.length === 0
          ? "/"
          : this.elems.map((e) => (e === ANY ? "/*" : Path.unsafeOf([e]).show)).join("");
    }
    return this.#shown;
  }

  equals(other: Prefix): boolean {
    return this.elems.length === other.elems.length && this.elems.every((e, i) => e === other.elems[i]);
  }
}

/** One entry of a dtab: `prefix => dst`. */
export class Dentry {
  /** The entry that does nothing (`/=>~`); Linkerd's placeholder for "no dentry". */
  static readonly nop: Dentry = new Dentry(Prefix.empty, NameTree.neg);

  readonly prefix: Prefix;
  readonly dst: NameTree<Path>;
  #shown: string | undefined;

  constructor(prefix: Prefix, dst: NameTree<Path>) {
    this.prefix = prefix;
    this.dst = dst;
  }

  get show(): string {
    if (this.#shown === undefined) this.#shown = `${this.prefix.show}=>${showPathTree(this.dst)}`;
    return this.#shown;
  }

  get isNop(): boolean {
    return this.prefix.size === 0 && this.dst.kind === "neg";
  }

  equals(other: Dentry): boolean {
    return this.prefix.equals(other.prefix) && NameTree.equals(this.dst, other.dst, (a, b) => a.equals(b));
  }

  /** Linkerd's JSON form of a dentry. */
  toJSON(): { prefix: string; dst: string } {
    return { prefix: this.prefix.show, dst: showPathTree(this.dst) };
  }
}

export function showPathTree(tree: NameTree<Path>): string {
  return NameTree.show(tree, (p) => p.show);
}

/** A delegation table. Later entries take precedence; earlier matches remain as fallbacks. */
export class Dtab {
  static readonly empty: Dtab = new Dtab([]);
  readonly dentries: readonly Dentry[];
  #shown: string | undefined;

  constructor(dentries: readonly Dentry[]) {
    this.dentries = Object.freeze(dentries.slice());
  }

  get size(): number {
    return this.dentries.length;
  }

  get isEmpty(): boolean {
    return this.dentries.length === 0;
  }

  /** This dtab followed by `other` (whose entries then take precedence): Finagle's `++`. */
  concat(other: Dtab): Dtab {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return new Dtab([...this.dentries, ...other.dentries]);
  }

  /** This dtab with one more entry at the end. */
  plus(dentry: Dentry): Dtab {
    return new Dtab([...this.dentries, dentry]);
  }

  /**
   * Finagle's lookup: every dentry whose prefix matches rewrites the path (the unmatched suffix appended to each
   * leaf of its dst). No match gives Neg; one gives its tree; several give an Alt, the last entry first.
   */
  lookup(path: Path): NameTree<Path> {
    const hits = this.matching(path);
    if (hits.length === 0) return NameTree.neg;
    if (hits.length === 1) return rewrite(hits[0] as Dentry, path);
    return NameTree.alt(...hits.map((d) => rewrite(d, path)));
  }

  /** The dentries whose prefix matches `path`, the last entry first: the branches of a lookup. */
  matching(path: Path): Dentry[] {
    return this.#matching(path).map((i) => this.dentries[i] as Dentry);
  }

  /** Indices of the dentries whose prefix matches `path`, last entry first. */
  #matching(path: Path): number[] {
    const ds = this.dentries;
    const hits: number[] = [];
    if (ds.length < TRIE_THRESHOLD) {
      for (let i = ds.length - 1; i >= 0; i--) if ((ds[i] as Dentry).prefix.matches(path)) hits.push(i);
      return hits;
    }
    if (this.#trie === undefined) this.#trie = buildTrie(ds);
    collect(this.#trie, path.elems, 0, hits);
    return hits.length > 1 ? hits.sort((a, b) => b - a) : hits;
  }

  #trie: TrieNode | undefined;

  /** The shown form: entries as `prefix=>tree`, joined by `;` with no spaces. */
  get show(): string {
    if (this.#shown === undefined) this.#shown = this.dentries.map((d) => d.show).join(";");
    return this.#shown;
  }

  /** One entry per line, each ending in `;`: the form people read and edit. */
  get pretty(): string {
    return this.dentries.map((d) => `${d.prefix.show} => ${showPathTree(d.dst)};`).join("\n");
  }

  equals(other: Dtab): boolean {
    return (
      this.dentries.length === other.dentries.length &&
      this.dentries.every((d, i) => d.equals(other.dentries[i]!))
    );
  }

  toJSON(): { prefix: string; dst: string }[] {
    return this.dentries.map((d) => d.toJSON());
  }

  toString(): string {
    return this.show;
  }
}

/** Below this many entries a plain scan is as fast as the prefix trie. */
const TRIE_THRESHOLD = 16;

/** A trie of dentry prefixes: labels and `*` edges; each node lists the entries whose prefix ends there. */
interface TrieNode {
  readonly labels: Map<string, TrieNode>;
  any: TrieNode | undefined;
  readonly entries: number[];
}

function trieNode(): TrieNode {
  return { labels: new Map(), any: undefined, entries: [] };
}

function buildTrie(dentries: readonly Dentry[]): TrieNode {
  const root = trieNode();
  dentries.forEach((d, i) => {
    let node = root;
    for (const e of d.prefix.elems) {
      if (e === ANY) {
        node.any ??= trieNode();
        node = node.any;
      } else {
        let next = node.labels.get(e);
        if (next === undefined) {
          next = trieNode();
          node.labels.set(e, next);
        }
        node = next;
      }
    }
    node.entries.push(i);
  });
  return root;
}

function collect(node: TrieNode, labels: readonly string[], depth: number, into: number[]): void {
  for (const i of node.entries) into.push(i);
  if (depth >= labels.length) return;
  const next = node.labels.get(labels[depth] as string);
  if (next !== undefined) collect(next, labels, depth + 1, into);
  if (node.any !== undefined) collect(node.any, labels, depth + 1, into);
}

/** The dentry's dst with the path's unmatched suffix appended to every leaf. */
export function rewrite(dentry: Dentry, path: Path): NameTree<Path> {
  const suffix = path.drop(dentry.prefix.size);
  if (suffix.isEmpty) return dentry.dst;
  return NameTree.map(dentry.dst, (p) => p.concat(suffix));
}
