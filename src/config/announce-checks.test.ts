// Tests of the announcers' and announce lists' config: defaults, where announcers go, and names nothing announces.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "./config-error.ts";
import { validateLinkerConfig } from "./load-linker.ts";

const zk = { kind: "io.l5d.serversets", zkAddrs: [{ host: "127.0.0.1" }] };

function router(server: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { protocol: "http", label: "incoming", servers: [{ port: 4004, ...server }], ...extra };
}

function problems(data: unknown): string[] {
  try {
    validateLinkerConfig(data);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("announcers config", () => {
  it("takes Linkerd's per-router announcers with their defaults, and top-level ones", () => {
    const c = validateLinkerConfig({
      routers: [router({ announce: ["/#/io.l5d.serversets/pong"] }, { announcers: [zk] })],
      announcers: [{ ...zk, prefix: "/zk2", pathPrefix: "/services" }],
    });
    interface Shown {
      zkAddrs: { port: number }[];
      pathPrefix: { show: string };
      prefix: { show: string };
      unannounceDelayMs: number;
    }
    const own = c.routers[0]?.announcers[0] as unknown as Shown;
    assert.equal(own.zkAddrs[0]?.port, 2181);
    assert.equal(own.pathPrefix.show, "/discovery");
    assert.equal(own.prefix.show, "/io.l5d.serversets");
    assert.equal(own.unannounceDelayMs, 1000);
    assert.equal((c.announcers[0] as unknown as Shown).prefix.show, "/zk2");
    assert.deepEqual(
      problems({
        routers: [router({ announce: ["/#/zk2/pong", "/#/io.l5d.serversets/pong"] }, { announcers: [zk] })],
        announcers: [{ ...zk, prefix: "zk2" }],
      }),
      [],
    );
  });

  it("refuses an announce name no announcer of its router takes, at its key", () => {
    assert.deepEqual(problems({ routers: [router({ announce: ["/#/io.l5d.serversets/pong"] })] }), [
      "routers[0].servers[0].announce[0]: no announcer announces /#/io.l5d.serversets/pong: add one to routers[0].announcers (or the top-level announcers) whose prefix it starts with (announcers' prefixes: there are none)",
    ]);
    const other = { protocol: "http", label: "other", servers: [{ port: 4005 }], announcers: [zk] };
    const p = problems({
      routers: [router({ announce: ["/#/io.l5d.serversets/pong", "/#/elsewhere/pong"] }), other],
    });
    assert.equal(p.length, 2, "another router's announcers do not count");
    assert.match(
      p[1] as string,
      /^routers\[0\]\.servers\[0\]\.announce\[1\]: no announcer announces \/#\/elsewhere\/pong/,
    );
  });

  it("refuses a name that is only the prefix, and a health check on a server that announces nothing", () => {
    assert.deepEqual(
      problems({
        routers: [
          router({ announce: ["/#/io.l5d.serversets"] }, { announcers: [zk] }),
          { protocol: "http", label: "b", servers: [{ port: 1, healthCheck: { path: "/health" } }] },
        ],
      }),
      [
        "routers[0].servers[0].announce[0]: /#/io.l5d.serversets names no service under the announcer's prefix",
        "routers[1].servers[0].healthCheck: a health check gates this server's announcements, and it announces nothing (add announce:)",
      ],
    );
  });

  it("checks healthCheck's keys: url or path, and their forms", () => {
    const withCheck = (healthCheck: unknown) =>
      problems({
        routers: [router({ announce: ["/#/io.l5d.serversets/pong"], healthCheck }, { announcers: [zk] })],
      });
    assert.deepEqual(withCheck({ url: "http://127.0.0.1:8002/health", intervalMs: 200 }), []);
    assert.deepEqual(withCheck({ path: "/health", host: "pong" }), []);
    assert.deepEqual(withCheck({ url: "ftp://x/" }), [
      'routers[0].servers[0].healthCheck.url: expected an http:// or https:// URL, got "ftp://x/"',
    ]);
    assert.deepEqual(withCheck({}), [
      "routers[0].servers[0].healthCheck: give either url (the service to check) or path (checked through this server), not both",
    ]);
    assert.match(
      withCheck({ path: "health", timeoutMs: 0 }).join("\n"),
      /path: expected a path starting with \/[\s\S]*timeoutMs: expected an integer from 1/,
    );
  });

  it("refuses an announcer without ZooKeeper addresses, or of an unknown kind", () => {
    assert.deepEqual(
      problems({ routers: [router({}, { announcers: [{ kind: "io.l5d.serversets", zkAddrs: [] }] })] }),
      ["routers[0].announcers[0].zkAddrs: expected at least one ZooKeeper address"],
    );
    assert.match(
      problems({ routers: [router({}, { announcers: [{ kind: "io.l5d.consul" }] })] })[0] as string,
      /routers\[0\]\.announcers\[0\]\.kind: unknown announcer kind "io.l5d.consul" \(known: io.l5d.serversets\)/,
    );
  });
});
