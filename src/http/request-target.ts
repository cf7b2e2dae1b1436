// Request targets taken apart: the path, the query and the fragment of an origin-form target, and its segments.

/** An origin-form target split at its first `?` and first `#`; `query` and `fragment` keep their `?` and `#`. */
export interface TargetParts {
  readonly path: string;
  readonly query: string;
  readonly fragment: string;
}

export function splitTarget(target: string): TargetParts {
  const hash = target.indexOf("#");
  const beforeHash = hash < 0 ? target : target.slice(0, hash);
  const fragment = hash < 0 ? "" : target.slice(hash);
  const q = beforeHash.indexOf("?");
  if (q < 0) return { path: beforeHash, query: "", fragment };
  return { path: beforeHash.slice(0, q), query: beforeHash.slice(q), fragment };
}

/**
 * The non-empty segments of a target's path, raw (percent-escapes are not decoded): `/a//b/` gives `a`, `b`.
 * A target that is not in origin form (`*`) has none.
 */
export function pathSegments(target: string): string[] {
  const { path } = splitTarget(target);
  if (!path.startsWith("/")) return [];
  return path.split("/").filter((s) => s.length > 0);
}

/**
 * The target with its first `n` path segments removed (empty segments among them too); the rest of the path,
 * a trailing slash, the query and the fragment are kept as they were. An empty remainder becomes `/`.
 * Returns undefined when the path has fewer than `n` segments.
 */
export function dropSegments(target: string, n: number): string | undefined {
  const { path, query, fragment } = splitTarget(target);
  if (!path.startsWith("/")) return n <= 0 ? target : undefined;
  let i = 0;
  for (let taken = 0; taken < n; taken++) {
    while (i < path.length && path.charCodeAt(i) === 47 /* / */) i++;
    if (i >= path.length) return undefined;
    const next = path.indexOf("/", i);
    i = next < 0 ? path.length : next;
  }
  const rest = path.slice(i);
  return `${rest === "" ? "/" : rest}${query}${fragment}`;
}
