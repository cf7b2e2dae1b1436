// The io.l5d.rewrite namer's `pattern` (Linkerd's PathMatcher, read as text) and its `name`: a path with `{var}` holes for the captures.

import { NameSyntaxError, type Path, readPath } from "../../naming/index.ts";
import { PathPattern, PathPatternError } from "../../naming/path-pattern.ts";

/** A mistake in a pattern or name, said when the config is read. */
export class RewriteConfigError extends Error {
  override readonly name = "RewriteConfigError";
}

const HOLE = /\{([^{}]*)\}/g;

/**
 * Reads a rewrite `pattern` as Linkerd does: the leading '/' is optional and trailing ones are ignored (Linkerd
 * splits on '/' and drops the empty labels at either end). Labels are matched as `PathPattern` does: a label,
 * `*`, or text with `{var}` captures.
 */
export function readRewritePattern(text: string): PathPattern {
  try {
    return PathPattern.read(`/${text.replace(/^\/+|\/+$/g, "")}`);
  } catch (e) {
    if (e instanceof PathPatternError) throw new RewriteConfigError(e.message);
    throw e;
  }
}

/**
 * A path with `{var}` holes (`/srv/{service}`, `/srv/{service}-v2`), each filled with the text a pattern
 * captured (in shown form, so escapes stay escapes). Checked when built: every hole must be captured by the
 * pattern, and the text must read as a path whatever label fills the holes.
 */
export class PathTemplate {
  readonly text: string;

  constructor(text: string, patternText: string) {
    this.text = text;
    const captured = new Set([...patternText.matchAll(HOLE)].map((m) => m[1] as string));
    for (const m of text.matchAll(HOLE)) {
      const name = m[1] as string;
      if (!captured.has(name))
        throw new RewriteConfigError(
          `{${name}} is not captured by the pattern ${JSON.stringify(patternText)}`,
        );
    }
    try {
      readPath(text.replace(HOLE, "x"));
    } catch (e) {
      if (!(e instanceof NameSyntaxError)) throw e;
      throw new RewriteConfigError(`not a path once its {variables} are filled in: ${e.message}`);
    }
  }

  /** The path with every hole filled from `vars`; undefined when the filled text is not a path. */
  fill(vars: Readonly<Record<string, string>>): Path | undefined {
    try {
      return readPath(this.text.replace(HOLE, (_, name: string) => vars[name] as string));
    } catch (e) {
      if (e instanceof NameSyntaxError) return undefined;
      throw e;
    }
  }
}
