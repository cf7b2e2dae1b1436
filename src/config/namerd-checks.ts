// Whole-file checks of a namerd config: namer prefixes that neither are empty nor overlap, no two listeners on one ip:port.

import type { Path } from "../naming/index.ts";
import type { ConfigProblem } from "./config-error.ts";
import type { NamerdConfig } from "./namerd-schema.ts";

function hostKey(ip: string): string {
  if (ip === "0.0.0.0" || ip === "::" || ip === "[::]") return "*";
  if (ip === "localhost") return "127.0.0.1";
  return ip.toLowerCase();
}

export function checkNamerd(config: NamerdConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // As namerd: a namer's prefix may be neither empty nor a prefix of another's (or the other way round).
  const prefixes: { at: number; prefix: Path }[] = [];
  config.namers.forEach((n, i) => {
    const prefix = (n as { prefix?: Path }).prefix;
    if (prefix === undefined) return;
    if (prefix.isEmpty) {
      problems.push({ path: `namers[${i}].prefix`, message: "namers must not have an empty prefix" });
      return;
    }
    for (const other of prefixes) {
      if (prefix.startsWith(other.prefix) || other.prefix.startsWith(prefix)) {
        problems.push({
          path: `namers[${i}].prefix`,
          message: `namers must not have overlapping prefixes: ${other.prefix.show} (namers[${other.at}]) & ${prefix.show}`,
        });
      }
    }
    prefixes.push({ at: i, prefix });
  });
  const sockets: { where: string; ip: string; port: number }[] = [];
  if (config.admin.port !== 0) sockets.push({ where: "admin", ip: config.admin.ip, port: config.admin.port });
  config.interfaces.forEach((iface, i) => {
    const { ip, port } = iface as { ip?: string; port?: number };
    if (typeof ip === "string" && typeof port === "number" && port !== 0) {
      sockets.push({ where: `interfaces[${i}]`, ip, port });
    }
  });
  for (let a = 0; a < sockets.length; a++) {
    for (let b = 0; b < a; b++) {
      const x = sockets[a] as (typeof sockets)[number];
      const y = sockets[b] as (typeof sockets)[number];
      if (x.port !== y.port) continue;
      const hx = hostKey(x.ip);
      const hy = hostKey(y.ip);
      if (hx === hy || hx === "*" || hy === "*") {
        problems.push({
          path: x.where,
          message: `${x.ip}:${x.port} is already used by ${y.where} (${y.ip}:${y.port})`,
        });
        break;
      }
    }
  }
  return problems;
}
