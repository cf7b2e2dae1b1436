// This host's own IP addresses, from its network interfaces and a lookup of its host name: io.l5d.localhost's default.

import { hostname as osHostname, networkInterfaces as osNetworkInterfaces } from "node:os";
import { type HostLookup, systemLookup } from "../namers/inet/resolver.ts";

/** Gives this host's IP addresses (as text). */
export type LocalIps = () => Promise<readonly string[]>;

/** One interface address as `os.networkInterfaces()` reports it (only the field used here). */
export interface InterfaceAddress {
  readonly address: string;
}

export interface SystemLocalIpsOptions {
  readonly networkInterfaces?: () => Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;
  readonly hostname?: () => string;
  readonly lookup?: HostLookup;
}

/**
 * Every address of every interface the system reports (loopback included, as Java's `NetworkInterface` list of
 * up interfaces is), plus the addresses the host name resolves to (the one DNS lookup Linkerd's docs describe).
 * A failed host name lookup leaves just the interfaces' addresses: it is not an error.
 */
export function systemLocalIps(options: SystemLocalIpsOptions = {}): LocalIps {
  const interfaces = options.networkInterfaces ?? osNetworkInterfaces;
  const hostname = options.hostname ?? osHostname;
  const lookup = options.lookup ?? systemLookup;
  return async () => {
    const ips: string[] = [];
    for (const addrs of Object.values(interfaces())) {
      for (const a of addrs ?? []) ips.push(a.address);
    }
    try {
      ips.push(...(await lookup(hostname())));
    } catch {
      // The host name may not resolve (no DNS entry, no /etc/hosts line): the interfaces still say who we are.
    }
    return ips;
  };
}
