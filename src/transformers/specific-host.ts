// io.l5d.specificHost: keep only the addresses of one configured host (e.g. the Docker host a container runs on).

import { parseIpLiteral } from "../namers/inet/ip-literal.ts";
import { type HostLookup, systemLookup } from "../namers/inet/resolver.ts";
import { Activity, Path } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { addressFilterTransformer } from "./address-filter.ts";
import { type IpSet, ipSet, loadIpSetOnce } from "./ip-set.ts";
import { transformerPrefix } from "./transformer-prefix.ts";

export const SPECIFIC_HOST_KIND = "io.l5d.specificHost";

export interface SpecificHostOptions {
  /** The host whose addresses are kept: an IP address, or a name looked up once. */
  readonly host: string;
  /** Replaces the default id prefix `/io.l5d.specificHost` (ids then start `/%` followed by this). */
  readonly prefix?: Path;
}

export interface SpecificHostDeps {
  /** Resolves a host name to its IP addresses; by default the system resolver. */
  readonly lookup?: HostLookup;
}

/**
 * Rewrites every bound name to id `/%/io.l5d.specificHost` ++ id with only the addresses equal to one of
 * `host`'s IPs (Neg when none is). An IP literal is used as it is, at once; a name is looked up once, when first
 * needed, and Addrs are Pending until it answers (Failed if it cannot be resolved).
 */
export function specificHostTransformer(
  options: SpecificHostOptions,
  deps: SpecificHostDeps = {},
): NameTreeTransformer {
  const { host } = options;
  if (host.length === 0) throw new RangeError(`${SPECIFIC_HOST_KIND}: host is required`);
  const lookup = deps.lookup ?? systemLookup;
  const prefix = transformerPrefix(options.prefix, Path.of(SPECIFIC_HOST_KIND));
  const literal = parseIpLiteral(host);
  const ips: Activity<IpSet> =
    literal !== undefined
      ? Activity.value(ipSet([literal]))
      : loadIpSetOnce(async () => {
          try {
            return await lookup(host);
          } catch (e) {
            throw new Error(
              `${SPECIFIC_HOST_KIND}: cannot resolve ${host}: ${e instanceof Error ? e.message : e}`,
            );
          }
        });
  return addressFilterTransformer(SPECIFIC_HOST_KIND, prefix, ips);
}
