// The dtab language: a hand-written parser for paths, name trees, dentries and dtabs, with errors that say where.

import { ANY, Dentry, Dtab, Prefix, type PrefixElem } from "./dtab.ts";
import { NameTree, type Weighted } from "./name-tree.ts";
import { isShowableCode, Path } from "./path.ts";

/** A syntax error in a path, name tree or dtab, with its 1-based line and column. */
export class NameSyntaxError extends Error {
  readonly expected: string;
  readonly found: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly source: string;

  constructor(expected: string, found: string, source: string, offset: number) {
    const { line, column } = position(source, offset);
    super(`expected ${expected} at ${line}:${column} (found ${found})`);
    this.name = "NameSyntaxError";
    this.expected = expected;
    this.found = found;
    this.source = source;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }

  /** The offending line with a caret under the column, for people. */
  get excerpt(): string {
    const lines = this.source.split("\n");
    const text = (lines[this.line - 1] ?? "").replace(/\t/g, " ");
    return `  ${text}\n  ${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}

function position(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** How deeply parentheses may nest; deeper input is refused rather than allowed to exhaust the stack. */
export const MAX_NESTING = 100;

const EOI = -1;

function describe(code: number): string {
  if (code === EOI) return "end of input";
  if (code === 10) return "a line break";
  if (code >= 0x21 && code <= 0x7e) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function isWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

const SLASH = 47;
const BACKSLASH = 92;

class Parser {
  readonly #src: string;
  #i = 0;
  #depth = 0;

  constructor(src: string) {
    this.#src = src;
  }

  #peek(): number {
    return this.#i < this.#src.length ? this.#src.charCodeAt(this.#i) : EOI;
  }

  #fail(expected: string, at = this.#i): never {
    const code = at < this.#src.length ? this.#src.charCodeAt(at) : EOI;
    throw new NameSyntaxError(expected, describe(code), this.#src, at);
  }

  #eat(code: number, expected: string): void {
    if (this.#peek() !== code) this.#fail(expected);
    this.#i++;
  }

  #maybeEat(code: number): boolean {
    if (this.#peek() !== code) return false;
    this.#i++;
    return true;
  }

  /** Whitespace and `#` comments (to the end of the line), wherever whitespace may stand. */
  #skipSpace(): void {
    const src = this.#src;
    while (this.#i < src.length) {
      const c = src.charCodeAt(this.#i);
      if (c === 35 /* # */) {
        while (this.#i < src.length && src.charCodeAt(this.#i) !== 10) this.#i++;
      } else if (isWhitespace(c)) {
        this.#i++;
      } else {
        break;
      }
    }
  }

  #isLabelStart(code: number): boolean {
    return isShowableCode(code) || code === BACKSLASH;
  }

  #label(): string {
    const src = this.#src;
    let out = "";
    do {
      const start = this.#i;
      while (this.#i < src.length && isShowableCode(src.charCodeAt(this.#i))) this.#i++;
      if (this.#i > start) out += src.slice(start, this.#i);
      const c = this.#peek();
      if (c === BACKSLASH) {
        this.#i++;
        this.#eat(120 /* x */, "'x' after '\\' (escapes are written \\xNN)");
        const hi = this.#peek();
        if (!isHex(hi)) this.#fail("a hex digit");
        this.#i++;
        const lo = this.#peek();
        if (!isHex(lo)) this.#fail("a hex digit");
        this.#i++;
        out += String.fromCharCode(Number.parseInt(String.fromCharCode(hi, lo), 16));
      } else if (this.#i === start) {
        this.#fail("a label character");
      }
    } while (this.#isLabelStart(this.#peek()));
    return out;
  }

  path(): Path {
    this.#skipSpace();
    this.#eat(SLASH, "'/'");
    if (!this.#isLabelStart(this.#peek())) return Path.empty;
    const labels: string[] = [];
    do {
      labels.push(this.#label());
    } while (this.#maybeEat(SLASH));
    return Path.unsafeOf(labels);
  }

  prefix(): Prefix {
    this.#skipSpace();
    this.#eat(SLASH, "'/' (a dentry starts with a path prefix)");
    const c = this.#peek();
    if (!this.#isLabelStart(c) && c !== 42 /* * */) return Prefix.empty;
    const elems: PrefixElem[] = [];
    do {
      if (this.#maybeEat(42)) elems.push(ANY);
      else elems.push(this.#label());
    } while (this.#maybeEat(SLASH));
    return new Prefix(elems);
  }

  tree(): NameTree<Path> {
    const alts: NameTree<Path>[] = [];
    do {
      alts.push(this.#union());
      this.#skipSpace();
    } while (this.#maybeEat(124 /* | */));
    return alts.length === 1 ? (alts[0] as NameTree<Path>) : NameTree.alt(...alts);
  }

  #union(): NameTree<Path> {
    const branches: Weighted<Path>[] = [];
    do {
      branches.push(this.#weighted());
      this.#skipSpace();
    } while (this.#maybeEat(38 /* & */));
    return branches.length === 1 ? (branches[0] as Weighted<Path>).tree : NameTree.union(...branches);
  }

  #weighted(): Weighted<Path> {
    this.#skipSpace();
    const c = this.#peek();
    if (!isDigit(c) && c !== 46 /* . */) return NameTree.weighted(1, this.#simple());
    const start = this.#i;
    let dot = false;
    for (;;) {
      const d = this.#peek();
      if (d === 46) {
        if (dot) this.#fail("a digit (a weight has at most one '.')");
        dot = true;
      } else if (!isDigit(d)) {
        break;
      }
      this.#i++;
    }
    const text = this.#src.slice(start, this.#i);
    if (text === ".") this.#fail("a weight", start);
    const weight = Number(text);
    if (!Number.isFinite(weight)) this.#fail("a finite weight", start);
    this.#skipSpace();
    this.#eat(42, "'*' after the weight");
    this.#skipSpace();
    return NameTree.weighted(weight, this.#simple());
  }

  #simple(): NameTree<Path> {
    this.#skipSpace();
    switch (this.#peek()) {
      case 40 /* ( */:
        {
          if (++this.#depth > MAX_NESTING) this.#fail(`at most ${MAX_NESTING} nested parentheses`);
          this.#i++;
          const t = this.tree();
          this.#skipSpace();
          this.#eat(41, "')'");
          this.#depth--;
          return t;
        }
      case SLASH:
        return NameTree.leaf(this.path());
      case 33 /* ! */:
        this.#i++;
        return NameTree.fail;
      case 126 /* ~ */:
        this.#i++;
        return NameTree.neg;
      case 36 /* $ */:
        this.#i++;
        return NameTree.empty;
      default:
        return this.#fail("a name (a path, '!', '~', '$' or '(')");
    }
  }

  dentry(): Dentry {
    const prefix = this.prefix();
    this.#skipSpace();
    const at = this.#i;
    if (this.#peek() !== 61 /* = */ || this.#src.charCodeAt(this.#i + 1) !== 62 /* > */)
      this.#fail("'=>'", at);
    this.#i += 2;
    return new Dentry(prefix, this.tree());
  }

  dtab(): Dtab {
    const entries: Dentry[] = [];
    do {
      this.#skipSpace();
      if (this.#peek() !== EOI) {
        entries.push(this.dentry());
        this.#skipSpace();
      }
    } while (this.#maybeEat(59 /* ; */));
    return new Dtab(entries);
  }

  end(expected: string): void {
    this.#skipSpace();
    if (this.#peek() !== EOI) this.#fail(expected);
  }
}

/** Parses a path in shown form (`/a/b`, `/`, labels with `\xNN` escapes). */
export function readPath(text: string): Path {
  const p = new Parser(text);
  const path = p.path();
  p.end("'/' or end of input");
  return path;
}

/** Parses a name tree (a union of weighted branches, alternatives, `~`). */
export function readNameTree(text: string): NameTree<Path> {
  const p = new Parser(text);
  const tree = p.tree();
  p.end("'|', '&' or end of input");
  return tree;
}

/** Parses one dentry (`/svc => /#/io.l5d.fs`). */
export function readDentry(text: string): Dentry {
  const p = new Parser(text);
  const d = p.dentry();
  p.end("'|', '&' or end of input");
  return d;
}

/** Parses a dtab: dentries separated by `;`, an optional trailing `;`, `#` comments. */
export function readDtab(text: string): Dtab {
  const p = new Parser(text);
  const dtab = p.dtab();
  p.end("';' or end of input");
  return dtab;
}
