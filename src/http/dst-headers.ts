// The `l5d-dst-*` request headers that tell the next hop how the request was named and bound.

import type { Path } from "../naming/index.ts";
import type { HeaderList } from "./header-list.ts";
import { L5dHeader } from "./linkerd-header-names.ts";

// A path's shown form is always a safe header value (showable characters, `/`, and `\xNN` escapes for the
// rest), so these values need no check before they are written.

/** Sets `l5d-dst-service` to the logical name (`/svc/web`), replacing whatever the request carried. */
export function setDstService(headers: HeaderList, logical: Path): void {
  headers.set(L5dHeader.dstService, logical.show);
}

/**
 * Sets `l5d-dst-client` to the bound id and `l5d-dst-residual` to the residual when it is not empty. A
 * residual header the request arrived with is removed either way, so a stale one is never passed on.
 */
export function setDstBound(headers: HeaderList, id: Path, residual: Path): void {
  headers.set(L5dHeader.dstClient, id.show);
  headers.delete(L5dHeader.dstResidual);
  if (!residual.isEmpty) {
    headers.set(L5dHeader.dstResidual, residual.show);
  }
}
