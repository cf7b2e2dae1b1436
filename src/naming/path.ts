// Path: an immutable sequence of byte-string labels, Finagle's `Path`, with its shown form `/a/b`.

/** Characters that appear as themselves in a shown path; every other byte is written `\xNN`. */
const SHOWABLE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-";
const SHOWABLE_TABLE = new Uint8Array(256);
for (let i = 0; i < SHOWABLE_CHARS.length; i++) SHOWABLE_TABLE[SHOWABLE_CHARS.charCodeAt(i)] = 1;

export function isShowableCode(code: number): boolean {
  return code >= 0 && code < 256 && SHOWABLE_TABLE[code] === 1;
}

export function isShowable(ch: string): boolean {
  return ch.length === 1 && isShowableCode(ch.charCodeAt(0));
}

function showLabel(label: string): string {
  let i = 0;
  while (i < label.length && SHOWABLE_TABLE[label.charCodeAt(i)] === 1) i++;
  if (i === label.length) return label;
  let out = label.slice(0, i);
  for (; i < label.length; i++) {
    const code = label.charCodeAt(i);
    out += SHOWABLE_TABLE[code] === 1 ? label.charAt(i) : `\\x${code.toString(16).padStart(2, "0")}`;
  }
  return out;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** Encodes text as UTF-8 and returns it as a byte string (one char per byte), the form labels are kept in. */
export function utf8ToBytes(text: string): string {
  // ASCII is by far the common case: it is already a byte string.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, "utf8").toString("latin1");
}

export function bytesToUtf8(bytes: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  return utf8Decoder.decode(Buffer.from(bytes, "latin1"));
}

/**
 * A path of labels. Labels are byte strings: each char holds one byte (0-255), so a label read from `\xe4`
 * and one made from UTF-8 text compare equal. Use `Path.utf8` to build one from text.
 */
export class Path {
  static readonly empty: Path = new Path([]);

  readonly elems: readonly string[];
  #shown: string | undefined;

  private constructor(elems: readonly string[]) {
    this.elems = elems;
  }

  /** A path from byte-string labels (no label may be empty). */
  static of(...labels: string[]): Path {
    if (labels.length === 0) return Path.empty;
    for (const label of labels) {
      if (label.length === 0) throw new RangeError("a path label cannot be empty");
      for (let i = 0; i < label.length; i++) {
        if (label.charCodeAt(i) > 0xff) throw new RangeError(`path label is not a byte string: ${label}`);
      }
    }
    return new Path(Object.freeze(labels.slice()));
  }

  /** A path from text labels, each encoded as UTF-8. */
  static utf8(...labels: string[]): Path {
    return Path.of(...labels.map(utf8ToBytes));
  }

  /** Trusted constructor for labels already known to be valid (used by the parser and by path operations). */
  static unsafeOf(labels: readonly string[]): Path {
    return labels.length === 0 ? Path.empty : new Path(Object.freeze(labels as string[]));
  }

  get size(): number {
    return this.elems.length;
  }

  get isEmpty(): boolean {
    return this.elems.length === 0;
  }

  /** The labels decoded as UTF-8 text. */
  get utf8Elems(): string[] {
    return this.elems.map(bytesToUtf8);
  }

  take(n: number): Path {
    if (n >= this.elems.length) return this;
    return Path.unsafeOf(this.elems.slice(0, Math.max(0, n)));
  }

  drop(n: number): Path {
    if (n <= 0) return this;
    return Path.unsafeOf(this.elems.slice(n));
  }

  concat(other: Path): Path {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return Path.unsafeOf([...this.elems, ...other.elems]);
  }

  startsWith(prefix: Path): boolean {
    if (prefix.elems.length > this.elems.length) return false;
    for (let i = 0; i < prefix.elems.length; i++) {
      if (prefix.elems[i] !== this.elems[i]) return false;
    }
    return true;
  }

  equals(other: Path): boolean {
    if (this === other) return true;
    if (this.elems.length !== other.elems.length) return false;
    for (let i = 0; i < this.elems.length; i++) {
      if (this.elems[i] !== other.elems[i]) return false;
    }
    return true;
  }

  /** The shown form: `/` for the empty path, else `/label/label`, non-showable bytes as `\xNN`. */
  get show(): string {
    if (this.#shown === undefined) {
      this.#shown = this.elems.length === 0 ? "/" : this.elems.map((l) => `/${showLabel(l)}`).join("");
    }
    return this.#shown;
  }

  toString(): string {
    return this.show;
  }

  toJSON(): string {
    return this.show;
  }
}
