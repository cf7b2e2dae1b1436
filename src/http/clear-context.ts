// `clearContext` for servers facing untrusted clients: no Linkerd context in, no Linkerd errors out.

import type { HeaderList } from "./header-list.ts";
import { DTAB_LOCAL, isLinkerdHeader, L5dHeader } from "./linkerd-header-names.ts";

/** Drops every `l5d-*` header and `dtab-local` from a request; returns how many lines were removed. */
export function clearRequestContext(headers: HeaderList): number {
  return headers.deleteWhere((name) => isLinkerdHeader(name) || name.toLowerCase() === DTAB_LOCAL);
}

export interface ClearedResponse {
  /** How many header lines were removed. */
  readonly removed: number;
  /** `l5d-err` was present: the body is a router's error message, and the caller must send an empty body. */
  readonly errPresent: boolean;
}

/** Drops every `l5d-*` header from a response, saying whether `l5d-err` was among them. */
export function clearResponseContext(headers: HeaderList): ClearedResponse {
  const errPresent = headers.has(L5dHeader.err);
  return { removed: headers.deleteWhere(isLinkerdHeader), errPresent };
}
