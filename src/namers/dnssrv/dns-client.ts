// The DNS questions io.l5d.dnssrv asks (SRV records, then the targets' addresses), over node:dns to the configured servers.

import { Resolver } from "node:dns/promises";
import { parseIpLiteral } from "../inet/ip-literal.ts";
import type { HostLookup } from "../inet/resolver.ts";

/** One SRV answer: where an instance is. */
export interface SrvTarget {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** What the namer asks of DNS; errors carry node:dns codes (`ENOTFOUND` for NXDOMAIN, `ENODATA` for no records). */
export interface DnsClient {
  /** The SRV records of `name`. */
  resolveSrv(name: string): Promise<SrvTarget[]>;
  /** A target's addresses (A and AAAA); rejects when it has none. */
  resolveTarget(name: string): Promise<string[]>;
}

/** A DNS server as configured in `dnsHosts`: `host`, `host:port`, `[v6]` or `[v6]:port`. */
const SERVER = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/** The host and port of a `dnsHosts` entry (port 53 when none is given), or undefined when it is not one. */
export function parseDnsHost(text: string): { host: string; port: number } | undefined {
  const m = SERVER.exec(text);
  if (m === null) {
    // A bare IPv6 address, without brackets or port.
    const v6 = parseIpLiteral(text);
    return v6 !== undefined && text.includes(":") ? { host: v6, port: 53 } : undefined;
  }
  const port = m[3] === undefined ? 53 : Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** How long one DNS try waits, and how many tries a question gets. */
const TIMEOUT_MS = 1000;
const TRIES = 3;

/**
 * A DnsClient over node:dns. With no `dnsHosts`, the system's DNS servers (resolv.conf); otherwise those servers,
 * host names among them looked up once through `lookup`. A target's addresses are asked of the same servers;
 * when they have none, of `lookup` (the system resolver), as Linkerd leaves such a target to be resolved later.
 */
export function nodeDnsClient(dnsHosts: readonly string[], lookup: HostLookup): DnsClient {
  const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
  const ready = dnsHosts.length === 0 ? Promise.resolve() : setServers(resolver, dnsHosts, lookup);
  ready.catch(() => {});
  return {
    async resolveSrv(name) {
      await ready;
      return resolver.resolveSrv(name);
    },
    async resolveTarget(name) {
      const literal = parseIpLiteral(name);
      if (literal !== undefined) return [literal];
      await ready;
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
      const found = [
        ...(v4.status === "fulfilled" ? v4.value : []),
        ...(v6.status === "fulfilled" ? v6.value : []),
      ];
      return found.length > 0 ? found : lookup(name);
    },
  };
}

async function setServers(
  resolver: Resolver,
  dnsHosts: readonly string[],
  lookup: HostLookup,
): Promise<void> {
  const servers: string[] = [];
  for (const text of dnsHosts) {
    const server = parseDnsHost(text);
    if (server === undefined) throw new Error(`dnsHosts: ${JSON.stringify(text)} is not host or host:port`);
    const literal = parseIpLiteral(server.host);
    const ips = literal !== undefined ? [literal] : await lookup(server.host);
    for (const ip of ips) servers.push(ip.includes(":") ? `[${ip}]:${server.port}` : `${ip}:${server.port}`);
  }
  resolver.setServers(servers);
}
