// Which namespace names a store accepts: ones that are safe as a URL segment, a znode name and a file key.

import { InvalidNamespaceError } from "../core.ts";

/** Longest namespace name accepted. */
export const MAX_NAMESPACE_LENGTH = 256;

const NAME = /^[A-Za-z0-9_.:@-]+$/;

/** Throws InvalidNamespaceError unless `ns` is 1-256 letters, digits or `_ . : @ -`, and not `.` or `..`. */
export function checkNamespace(ns: string): void {
  if (ns.length === 0) throw new InvalidNamespaceError(ns, "empty");
  if (ns.length > MAX_NAMESPACE_LENGTH)
    throw new InvalidNamespaceError(ns.slice(0, 32), `longer than ${MAX_NAMESPACE_LENGTH} characters`);
  if (!NAME.test(ns)) throw new InvalidNamespaceError(ns, "only letters, digits and _ . : @ - are allowed");
  if (ns === "." || ns === "..") throw new InvalidNamespaceError(ns, "not a name");
}
