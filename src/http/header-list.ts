// HeaderList: an HTTP header block kept as ordered raw name/value pairs, with case-insensitive access.

/**
 * The headers of one message, in the order received. Names keep their case for forwarding; look-ups ignore
 * case. Unlike Node's `req.headers`, nothing is merged or dropped, so what is checked is what is forwarded.
 */
export class HeaderList {
  /** Alternating name, value (the shape of Node's `rawHeaders`). */
  readonly #raw: string[];

  constructor(raw: readonly string[] = []) {
    this.#raw = raw.slice();
  }

  static of(pairs: Iterable<readonly [string, string]>): HeaderList {
    const raw: string[] = [];
    for (const [n, v] of pairs) raw.push(n, v);
    return new HeaderList(raw);
  }

  /** Number of header lines. */
  get size(): number {
    return this.#raw.length / 2;
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) {
      if ((raw[i] as string).toLowerCase() === lower) return raw[i + 1];
    }
    return undefined;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) {
      if ((raw[i] as string).toLowerCase() === lower) out.push(raw[i + 1] as string);
    }
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Number of lines named `name`. */
  count(name: string): number {
    return this.getAll(name).length;
  }

  add(name: string, value: string): void {
    this.#raw.push(name, value);
  }

  /** Replaces every line named `name` with one line. */
  set(name: string, value: string): void {
    this.delete(name);
    this.#raw.push(name, value);
  }

  /** Removes every line named `name`; returns how many were removed. */
  delete(name: string): number {
    const lower = name.toLowerCase();
    return this.deleteWhere((n) => n.toLowerCase() === lower);
  }

  /** Removes every line whose (original-case) name satisfies `test`; returns how many were removed. */
  deleteWhere(test: (name: string, value: string) => boolean): number {
    const raw = this.#raw;
    let w = 0;
    let removed = 0;
    for (let r = 0; r < raw.length; r += 2) {
      const n = raw[r] as string;
      const val = raw[r + 1] as string;
      if (test(n, val)) {
        removed++;
        continue;
      }
      raw[w++] = n;
      raw[w++] = val;
    }
    raw.length = w;
    return removed;
  }

  /** The lines as [name, value] pairs. */
  *entries(): IterableIterator<[string, string]> {
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) yield [raw[i] as string, raw[i + 1] as string];
  }

  /** A copy in Node's `rawHeaders` shape, for writing with `writeHead`/`request`. */
  toRaw(): string[] {
    return this.#raw.slice();
  }

  clone(): HeaderList {
    return new HeaderList(this.#raw);
  }
}
