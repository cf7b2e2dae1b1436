// io.l5d.localhost: keep only the addresses that are this host's own, so an incoming router routes to local services.

import { Path } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { addressFilterTransformer } from "./address-filter.ts";
import { loadIpSetOnce } from "./ip-set.ts";
import { type LocalIps, systemLocalIps } from "./local-ips.ts";
import { transformerPrefix } from "./transformer-prefix.ts";

export const LOCALHOST_KIND = "io.l5d.localhost";

export interface LocalhostOptions {
  /** Replaces the default id prefix `/io.l5d.localhost` (ids then start `/%` followed by this). */
  readonly prefix?: Path;
}

export interface LocalhostDeps {
  /** This host's IP addresses; by default its interfaces' plus what its host name resolves to. */
  readonly localIps?: LocalIps;
}

/**
 * Rewrites every bound name to id `/%/io.l5d.localhost` ++ id with only the addresses equal to one of this host's
 * IPs (Neg when none is). The local IPs are learned once, when first needed; Addrs are Pending until then.
 */
export function localhostTransformer(
  options: LocalhostOptions = {},
  deps: LocalhostDeps = {},
): NameTreeTransformer {
  const localIps = deps.localIps ?? systemLocalIps();
  const prefix = transformerPrefix(options.prefix, Path.of(LOCALHOST_KIND));
  const ips = loadIpSetOnce(async () => {
    try {
      return await localIps();
    } catch (e) {
      throw new Error(
        `${LOCALHOST_KIND}: cannot list this host's IP addresses: ${e instanceof Error ? e.message : e}`,
      );
    }
  });
  return addressFilterTransformer(LOCALHOST_KIND, prefix, ips);
}
