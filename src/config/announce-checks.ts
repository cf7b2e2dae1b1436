// Whole-file checks of announcements: every `announce` name has an announcer, and health checks gate something.

import { CONFIGURED_NAMER_PREFIX, Path } from "../naming/index.ts";
import type { ConfigProblem } from "./config-error.ts";
import type { LinkerConfig } from "./linker-schema.ts";
import type { PluginConfig } from "./registry.ts";

/** The full prefix an announcer config announces, `/#/<prefix>` (every kind's schema gives `prefix` a default). */
function prefixOf(c: PluginConfig): Path | undefined {
  const prefix = (c as { prefix?: unknown }).prefix;
  return prefix instanceof Path ? CONFIGURED_NAMER_PREFIX.concat(prefix) : undefined;
}

export function checkAnnouncements(config: LinkerConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.routers.forEach((r, i) => {
    const prefixes = [...r.announcers, ...config.announcers].flatMap((c) => prefixOf(c) ?? []);
    r.servers.forEach((s, j) => {
      s.announce.forEach((name, k) => {
        const where = `routers[${i}].servers[${j}].announce[${k}]`;
        const match = prefixes.find((p) => name.startsWith(p));
        if (match === undefined) {
          const known = prefixes.length === 0 ? "there are none" : prefixes.map((p) => p.show).join(", ");
          problems.push({
            path: where,
            message: `no announcer announces ${name.show}: add one to routers[${i}].announcers (or the top-level announcers) whose prefix it starts with (announcers' prefixes: ${known})`,
          });
        } else if (name.size === match.size) {
          problems.push({
            path: where,
            message: `${name.show} names no service under the announcer's prefix`,
          });
        }
      });
      if (s.healthCheck !== undefined && s.announce.length === 0) {
        problems.push({
          path: `routers[${i}].servers[${j}].healthCheck`,
          message:
            "a health check gates this server's announcements, and it announces nothing (add announce:)",
        });
      }
    });
  });
  return problems;
}
