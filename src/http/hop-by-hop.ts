// Hop-by-hop headers: what one connection says to the next hop only, stripped before a message is forwarded.

import { type HeaderList, lowerCaseName } from "./header-list.ts";

/** Hop-by-hop by definition (RFC 9110 §7.6.1, plus the legacy Keep-Alive and Proxy-Connection), lower case. */
export const HOP_BY_HOP_HEADERS: readonly string[] = Object.freeze([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
]);

const HOP_BY_HOP = new Set(HOP_BY_HOP_HEADERS);

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(lowerCaseName(name));
}

/** The header names nominated by every `Connection` line, lower case, trimmed, without empties or repeats. */
export function connectionNominations(headers: HeaderList): string[] {
  const lines = headers.getAll("connection");
  if (lines.length === 0) return [];
  const only = lines[0] as string;
  if (lines.length === 1 && !only.includes(",")) {
    // The common case: one line, one token (`keep-alive`, `close`).
    const name = only.trim().toLowerCase();
    return name === "" ? [] : [name];
  }
  const names = new Set<string>();
  for (const line of lines) {
    for (const item of line.split(",")) {
      const name = item.trim().toLowerCase();
      if (name !== "") names.add(name);
    }
  }
  return [...names];
}

/**
 * Whether a request may not nominate `name` as hop-by-hop: stripping it would change how the request is routed
 * or framed, or hide what an earlier hop recorded (Host, Content-Length, Linkerd's `l5d-*`, `Forwarded`,
 * `X-Forwarded-*`).
 */
export function isProtectedFromNomination(name: string): boolean {
  const n = lowerCaseName(name);
  return (
    n === "host" ||
    n === "content-length" ||
    n === "forwarded" ||
    n.startsWith("l5d-") ||
    n.startsWith("x-forwarded-")
  );
}

/**
 * Removes the hop-by-hop headers and every header nominated by `Connection` (all lines of it); returns the
 * lower-case names removed, in the order met. Used as is on responses.
 */
export function stripHopByHop(headers: HeaderList): string[] {
  // Nominations come from Connection lines, which are hop-by-hop themselves: none of either, nothing to do.
  if (!headers.hasAnyOf(HOP_BY_HOP)) return [];
  const nominated = connectionNominations(headers);
  let drop: ReadonlySet<string> = HOP_BY_HOP;
  for (const n of nominated) {
    if (!HOP_BY_HOP.has(n)) {
      drop = new Set([...HOP_BY_HOP, ...nominated]);
      break;
    }
  }
  return headers.takeNamed(drop);
}

export type RequestStrip =
  | { readonly kind: "stripped"; readonly removed: readonly string[] }
  /** Answer 400 with `message`; the headers were left untouched. */
  | { readonly kind: "refused"; readonly header: string; readonly message: string };

const NOTHING_STRIPPED: RequestStrip = Object.freeze({ kind: "stripped", removed: Object.freeze([]) });

/**
 * The request side: refuses a request whose `Connection` nominates a protected header (see
 * `isProtectedFromNomination`), else strips as `stripHopByHop`.
 */
export function stripRequestHopByHop(headers: HeaderList): RequestStrip {
  if (!headers.hasAnyOf(HOP_BY_HOP)) return NOTHING_STRIPPED;
  for (const name of connectionNominations(headers)) {
    if (isProtectedFromNomination(name)) {
      return {
        kind: "refused",
        header: name,
        message: `the Connection header may not nominate ${name.slice(0, 100)} as hop-by-hop`,
      };
    }
  }
  return { kind: "stripped", removed: stripHopByHop(headers) };
}
