// The canonical text of an IP address, so that addresses from namers, interfaces and DNS compare as the bytes they are.

import { isIPv6 } from "node:net";
import { parseIPv4 } from "../namers/inet/ip-literal.ts";

const V4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

function mappedToV4(high: string, low: string): string {
  const h = Number.parseInt(high, 16);
  const l = Number.parseInt(low, 16);
  return [h >> 8, h & 255, l >> 8, l & 255].join(".");
}

/**
 * One text per address: IPv4 as a dotted quad (`127.1` gives `127.0.0.1`), IPv6 in its compressed lower-case
 * form without brackets or zone (`0:0::1%lo` gives `::1`), and an IPv4-mapped IPv6 address as its IPv4 address
 * (Java reads `::ffff:10.0.0.1` as `10.0.0.1` too). Undefined when `text` is not an IP address.
 */
export function canonicalIp(text: string): string | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = bare.indexOf("%");
  const ip = zone < 0 ? bare : bare.slice(0, zone);
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) return v4;
  if (!isIPv6(ip)) return undefined;
  // The URL parser serialises IPv6 as RFC 5952 asks: lower case, no leading zeros, longest zero run as `::`.
  const v6 = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = V4_MAPPED.exec(v6);
  return mapped ? mappedToV4(mapped[1] as string, mapped[2] as string) : v6;
}
