// Whole-file checks of a linker config: unique router labels and no two servers on one ip:port.

import { checkAnnouncements } from "./announce-checks.ts";
import type { ConfigProblem } from "./config-error.ts";
import type { LinkerConfig } from "./linker-schema.ts";

function hostKey(ip: string): string {
  // Wildcard and loopback spellings name the same sockets.
  if (ip === "0.0.0.0" || ip === "::" || ip === "[::]") return "*";
  if (ip === "localhost") return "127.0.0.1";
  return ip.toLowerCase();
}

export function checkLinker(config: LinkerConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const labels = new Map<string, number>();
  config.routers.forEach((r, i) => {
    const first = labels.get(r.label);
    if (first !== undefined) {
      problems.push({
        path: `routers[${i}].label`,
        message: `duplicate router label ${JSON.stringify(r.label)} (also routers[${first}]); give each router its own label`,
      });
    } else {
      labels.set(r.label, i);
    }
  });
  const sockets: { where: string; ip: string; port: number }[] = [];
  if (config.admin.port !== 0) sockets.push({ where: "admin", ip: config.admin.ip, port: config.admin.port });
  config.routers.forEach((r, i) => {
    r.servers.forEach((s, j) => {
      if (s.port !== 0) sockets.push({ where: `routers[${i}].servers[${j}]`, ip: s.ip, port: s.port });
    });
  });
  for (let a = 0; a < sockets.length; a++) {
    for (let b = 0; b < a; b++) {
      const x = sockets[a]!;
      const y = sockets[b]!;
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
  problems.push(...checkAnnouncements(config));
  return problems;
}
