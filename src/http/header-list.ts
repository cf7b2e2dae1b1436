// HeaderList: an HTTP header block kept as ordered raw name/value pairs, with case-insensitive access.

/** Lower-cased names seen lately: most requests carry the same few dozen, each lower-cased once, not per request. */
const LOWERED = new Map<string, string>();
/** Bounds of the memo: names longer than this are lower-cased every time; a full memo is emptied. */
const LOWERED_MAX_NAME = 48;
const LOWERED_MAX_SIZE = 512;

/** `name` in lower case (header names are ASCII tokens, so this is HTTP's case-insensitive form). */
export function lowerCaseName(name: string): string {
  let lower = LOWERED.get(name);
  if (lower !== undefined) return lower;
  lower = name.toLowerCase();
  if (name.length <= LOWERED_MAX_NAME) {
    if (LOWERED.size >= LOWERED_MAX_SIZE) LOWERED.clear();
    LOWERED.set(name, lower);
  }
  return lower;
}

/**
 * The headers of one message, in the order received. Names keep their case for forwarding; look-ups ignore
 * case. Unlike Node's `req.headers`, nothing is merged or dropped, so what is checked is what is forwarded.
 *
 * Every name is lower-cased once, when the line is added, so that the many look-ups a proxied request goes
 * through compare strings without lower-casing the whole block each time.
 */
export class HeaderList {
  /** Alternating name, value (the shape of Node's `rawHeaders`). */
  readonly #raw: string[];
  /** The lower-case name of each line: `#lower[i]` is `#raw[2 * i]` lower-cased. */
  readonly #lower: string[];

  /** A list of copies of `raw`'s lines; with `adopt`, `raw` itself is taken over and must not be used again. */
  constructor(raw: readonly string[] = [], adopt = false) {
    this.#raw = adopt ? (raw as string[]) : raw.slice();
    const lower = new Array<string>(raw.length >> 1);
    for (let i = 0; i < lower.length; i++) lower[i] = lowerCaseName(raw[2 * i] as string);
    this.#lower = lower;
  }

  static of(pairs: Iterable<readonly [string, string]>): HeaderList {
    const raw: string[] = [];
    for (const [n, v] of pairs) raw.push(n, v);
    return new HeaderList(raw, true);
  }

  /** Number of header lines. */
  get size(): number {
    return this.#lower.length;
  }

  /** The index of the first line named `lower` (already lower case), or -1. */
  #indexOf(lower: string): number {
    return this.#lower.indexOf(lower);
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const i = this.#indexOf(lowerCaseName(name));
    return i < 0 ? undefined : this.#raw[2 * i + 1];
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const lower = lowerCaseName(name);
    const out: string[] = [];
    const names = this.#lower;
    for (let i = names.indexOf(lower); i >= 0 && i < names.length; i++) {
      if (names[i] === lower) out.push(this.#raw[2 * i + 1] as string);
    }
    return out;
  }

  has(name: string): boolean {
    return this.#indexOf(lowerCaseName(name)) >= 0;
  }

  /** Whether any line's lower-case name is in `names`. */
  hasAnyOf(names: ReadonlySet<string>): boolean {
    for (const n of this.#lower) if (names.has(n)) return true;
    return false;
  }

  /** Number of lines named `name`. */
  count(name: string): number {
    const lower = lowerCaseName(name);
    let n = 0;
    for (const l of this.#lower) if (l === lower) n++;
    return n;
  }

  add(name: string, value: string): void {
    this.#raw.push(name, value);
    this.#lower.push(lowerCaseName(name));
  }

  /** Replaces every line named `name` with one line, at the end. */
  set(name: string, value: string): void {
    const lower = lowerCaseName(name);
    if (this.#indexOf(lower) >= 0) this.#compact((l) => l === lower);
    this.#raw.push(name, value);
    this.#lower.push(lower);
  }

  /** Removes every line named `name`; returns how many were removed. */
  delete(name: string): number {
    const lower = lowerCaseName(name);
    if (this.#indexOf(lower) < 0) return 0;
    return this.#compact((l) => l === lower);
  }

  /**
   * Removes every line for which `test(name, value, lowerName)` holds (`name` as received); returns how many
   * were removed.
   */
  deleteWhere(test: (name: string, value: string, lower: string) => boolean): number {
    const raw = this.#raw;
    return this.#compact((l, i) => test(raw[2 * i] as string, raw[2 * i + 1] as string, l));
  }

  /** Removes every line whose lower-case name is in `names`; returns how many were removed. */
  deleteNamed(names: ReadonlySet<string>): number {
    if (!this.hasAnyOf(names)) return 0;
    return this.#compact(names);
  }

  /**
   * Removes every line whose lower-case name is in `names`; returns the names removed, lower case, each once, in
   * the order first met. No callback: it runs on every proxied message.
   */
  takeNamed(names: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    this.#compact(names, removed);
    return removed;
  }

  /**
   * Removes the lines whose lower-case name is in `drop` (a set) or for which `drop(lowerName, index)` holds,
   * keeping the order of the rest; each removed name goes once into `removed`, when given.
   */
  #compact(
    drop: ReadonlySet<string> | ((lower: string, index: number) => boolean),
    removed?: string[],
  ): number {
    const raw = this.#raw;
    const names = this.#lower;
    let w = 0;
    const n = names.length;
    for (let r = 0; r < n; r++) {
      const l = names[r] as string;
      if (typeof drop === "function" ? drop(l, r) : drop.has(l)) {
        if (removed !== undefined && !removed.includes(l)) removed.push(l);
        continue;
      }
      if (w !== r) {
        names[w] = l;
        raw[2 * w] = raw[2 * r] as string;
        raw[2 * w + 1] = raw[2 * r + 1] as string;
      }
      w++;
    }
    names.length = w;
    raw.length = 2 * w;
    return n - w;
  }

  /** The lines as [name, value] pairs. */
  *entries(): IterableIterator<[string, string]> {
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) yield [raw[i] as string, raw[i + 1] as string];
  }

  /** `startLine`, then every line as `Name: value`, each ending in CRLF, and the blank line: a message head. */
  toHead(startLine: string): string {
    const raw = this.#raw;
    let s = `${startLine}\r\n`;
    for (let i = 0; i < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
    return `${s}\r\n`;
  }

  /** A copy in Node's `rawHeaders` shape, for writing with `writeHead`/`request`. */
  toRaw(): string[] {
    return this.#raw.slice();
  }

  clone(): HeaderList {
    return new HeaderList(this.#raw);
  }
}
