// Recognises IP address literals, including the classic shorthand forms (`127.1`, `10.1.2`) that inet_aton accepts.

import { isIPv6 } from "node:net";

function part(text: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return Number.parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return Number.parseInt(text, 10);
  return undefined;
}

/**
 * The dotted-quad form of an IPv4 literal in any form inet_aton accepts (`a.b.c.d`, `a.b.c`, `a.b`, `a`, with
 * decimal, octal `0..` or hex `0x..` parts), or undefined if `text` is not one. `127.1` gives `127.0.0.1`.
 */
export function parseIPv4(text: string): string | undefined {
  const parts = text.split(".");
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums = parts.map(part);
  if (nums.some((n) => n === undefined)) return undefined;
  const ns = nums as number[];
  const last = ns[ns.length - 1] as number;
  const lead = ns.slice(0, -1);
  if (lead.some((n) => n > 255)) return undefined;
  const lastBits = 8 * (4 - lead.length);
  if (last >= 2 ** lastBits) return undefined;
  let value = 0;
  for (const n of lead) value = value * 256 + n;
  value = value * 2 ** lastBits + last;
  return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The canonical text of an IP literal (v4 in any inet_aton form, or v6), or undefined for a host name. */
export function parseIpLiteral(text: string): string | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return v4;
  if (isIPv6(text)) return text.toLowerCase();
  return undefined;
}

/** True for a decimal port number 0-65535 written without sign or spaces. */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}
