// Which host a server listening on a wildcard address (0.0.0.0 or ::) announces: the rule, with the interfaces passed in.

import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";

/** The machine's interfaces, as `os.networkInterfaces()` gives them. */
export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"]);

/**
 * The host to announce for a server bound to `ip`. A specific address (or host name) is announced as it is.
 * A wildcard is replaced, as one member rather than one per interface (which would count the instance several
 * times in every client's load balancer): the first IPv4 address of an interface that is not loopback, in the
 * order the system lists them; failing that, for `::`, the first such IPv6 address that is not link-local;
 * failing that, 127.0.0.1, so that a machine with no network still works with itself. To announce another
 * address, listen on it (`ip:`).
 */
export function announcedHost(ip: string, interfaces: Interfaces = networkInterfaces()): string {
  if (!WILDCARDS.has(ip)) return ip;
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const v4 = all.find((i) => i.family === "IPv4" && !i.internal);
  if (v4 !== undefined) return v4.address;
  if (ip !== "0.0.0.0") {
    const v6 = all.find((i) => i.family === "IPv6" && !i.internal && !/^fe[89ab]/i.test(i.address));
    if (v6 !== undefined) return v6.address;
  }
  return "127.0.0.1";
}
