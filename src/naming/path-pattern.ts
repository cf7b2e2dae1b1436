// Linkerd's prefix patterns for per-prefix configs: `/#/io.l5d.fs/{service}`, `/$/inet/*/80`, prefix matches.

import type { Path } from "./path.ts";

type Segment =
  | { readonly kind: "any" }
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "capture"; readonly regex: RegExp; readonly names: readonly string[] };

/** Thrown for a pattern that cannot be read; the message says what is wrong. */
export class PathPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathPatternError";
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function readSegment(text: string): Segment {
  if (text === "*") return { kind: "any" };
  if (!text.includes("{")) {
    if (text.includes("}")) throw new PathPatternError(`unmatched '}' in segment ${JSON.stringify(text)}`);
    return { kind: "literal", text };
  }
  const names: string[] = [];
  let source = "^";
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[1] as string;
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new PathPatternError(
        `bad variable name ${JSON.stringify(name)} in segment ${JSON.stringify(text)}`,
      );
    }
    const literal = text.slice(last, m.index);
    if (literal.includes("{") || literal.includes("}")) {
      throw new PathPatternError(`unmatched brace in segment ${JSON.stringify(text)}`);
    }
    source += `${escapeRegex(literal)}(.*)`;
    names.push(name);
    last = m.index + m[0].length;
  }
  const rest = text.slice(last);
  if (rest.includes("{") || rest.includes("}")) {
    throw new PathPatternError(`unmatched brace in segment ${JSON.stringify(text)}`);
  }
  // Greedy captures, as Linkerd's: `{a}-{b}` on `x-y-z` gives a = `x-y`, b = `z`.
  return { kind: "capture", regex: new RegExp(`${source}${escapeRegex(rest)}$`, "s"), names };
}

/**
 * A prefix pattern: segments that are literal labels (in shown form), `*` for any one label, or text with
 * `{name}` captures. A path matches when its first labels match every segment; more labels may follow.
 */
export class PathPattern {
  readonly show: string;
  readonly #segments: readonly Segment[];

  private constructor(show: string, segments: readonly Segment[]) {
    this.show = show;
    this.#segments = segments;
  }

  static read(text: string): PathPattern {
    if (!text.startsWith("/")) throw new PathPatternError("a prefix starts with '/'");
    const parts = text === "/" ? [] : text.slice(1).split("/");
    if (parts.some((p) => p === ""))
      throw new PathPatternError("empty segment (two '/' in a row, or a trailing '/')");
    return new PathPattern(text, parts.map(readSegment));
  }

  toJSON(): string {
    return this.show;
  }

  /** The captured variables when `path` starts with this pattern, else undefined. */
  match(path: Path): Record<string, string> | undefined {
    const segs = this.#segments;
    if (path.elems.length < segs.length) return undefined;
    const labels = path.show === "/" ? [] : path.show.slice(1).split("/");
    const vars: Record<string, string> = {};
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as Segment;
      const label = labels[i] as string;
      if (seg.kind === "any") continue;
      if (seg.kind === "literal") {
        if (seg.text !== label) return undefined;
        continue;
      }
      const m = seg.regex.exec(label);
      if (m === null) return undefined;
      seg.names.forEach((name, k) => {
        vars[name] = m[k + 1] as string;
      });
    }
    return vars;
  }
}
