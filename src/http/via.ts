// The `Via` header: appended on requests and responses, and counted to stop proxy loops (`maxCallDepth`).

import type { HeaderList } from "./header-list.ts";
import { checkedHeaderValue } from "./header-value.ts";
import { VIA } from "./linkerd-header-names.ts";
import type { HttpVersion } from "./message.ts";

/**
 * The name this proxy goes by in `Via`. Linkerd writes `linkerd`, and so do we: Linkerd only ever counts Via
 * entries, never reads the name, so a mixed mesh works either way, and whatever (apps, tests, dashboards)
 * looks for `1.1 linkerd` keeps working when a Linkerd is replaced.
 */
export const VIA_PSEUDONYM = "linkerd";

/** This hop's entry: `1.1 linkerd` or `1.0 linkerd`, by the version of the message received. */
export function viaEntry(version: HttpVersion): string {
  return `${version} ${VIA_PSEUDONYM}`;
}

/**
 * Appends this hop's entry. Every existing `Via` line is folded into one line ending with ours, because a
 * Linkerd downstream counts the entries of the first `Via` line only.
 */
const VIA_1_0 = viaEntry("1.0");
const VIA_1_1 = viaEntry("1.1");

export function appendVia(headers: HeaderList, version: HttpVersion): void {
  if (!headers.has(VIA)) {
    headers.add("Via", version === "1.0" ? VIA_1_0 : VIA_1_1);
    return;
  }
  const earlier = headers
    .getAll(VIA)
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const entry = viaEntry(version);
  const value = earlier.length === 0 ? entry : `${earlier.join(", ")}, ${entry}`;
  headers.set("Via", checkedHeaderValue("Via", value));
}

/**
 * How many hops the request has passed: the non-empty comma-separated entries of every `Via` line. Commas in
 * comments count too, as in Linkerd (honouring comments would let one unclosed `(` hide every later hop).
 * Stops counting once past `limit`.
 */
export function callDepth(headers: HeaderList, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  for (const line of headers.getAll(VIA)) {
    for (const entry of line.split(",")) {
      if (entry.trim() !== "" && ++depth > limit) return depth;
    }
  }
  return depth;
}

export type CallDepthCheck =
  | { readonly kind: "ok"; readonly depth: number }
  /** Answer 400 with `message`. */
  | { readonly kind: "exceeded"; readonly depth: number; readonly message: string };

/** Linkerd's `maxCallDepth`: more than `max` Via entries is a loop (or near enough). */
const NO_DEPTH: CallDepthCheck = Object.freeze({ kind: "ok", depth: 0 });

export function checkCallDepth(headers: HeaderList, max: number): CallDepthCheck {
  if (!headers.has(VIA)) return NO_DEPTH;
  const depth = callDepth(headers, max);
  if (depth <= max) return { kind: "ok", depth };
  return {
    kind: "exceeded",
    depth,
    message: `Maximum number of calls (${max}) has been exceeded. Please check for proxy loops.`,
  };
}
