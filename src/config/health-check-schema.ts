// The config keys of a server's `healthCheck` (a Trellis addition): what to check, how often, and when to act.

import * as v from "valibot";
import { int, str } from "./schema-kit.ts";

function httpUrl() {
  return v.pipe(
    str(),
    v.check(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
        } catch {
          return false;
        }
      },
      (i) => `expected an http:// or https:// URL, got ${JSON.stringify(i.input)}`,
    ),
  );
}

/**
 * `healthCheck` on a server that announces: `url` (any http(s) URL, usually the local service's), or `path`
 * (sent to the server itself, so through the router, with `host` as the Host header); `intervalMs` (1000),
 * `timeoutMs` (1000), `healthyThreshold` (1), `unhealthyThreshold` (2).
 */
export function healthCheckSchema() {
  return v.pipe(
    v.strictObject({
      url: v.optional(httpUrl()),
      path: v.optional(
        v.pipe(
          str(),
          v.check((p) => p.startsWith("/"), "expected a path starting with /"),
        ),
      ),
      host: v.optional(
        v.pipe(
          str(),
          v.check((h) => /^[A-Za-z0-9.:_[\]-]+$/.test(h), "expected a host name, with an optional :port"),
        ),
      ),
      intervalMs: v.optional(int(10, 3_600_000), 1000),
      timeoutMs: v.optional(int(1, 600_000), 1000),
      healthyThreshold: v.optional(int(1, 100), 1),
      unhealthyThreshold: v.optional(int(1, 100), 2),
    }),
    v.check(
      (h) => (h.url === undefined) !== (h.path === undefined),
      "give either url (the service to check) or path (checked through this server), not both",
    ),
  );
}
