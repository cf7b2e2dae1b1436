// Tests of which announcers a proxy's servers are announced through, with what address and health check.

import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { describe, it } from "node:test";
import { validateLinkerConfig } from "../config/load-linker.ts";
import type { PluginConfig } from "../config/registry.ts";
import { CONFIGURED_NAMER_PREFIX, type Path } from "../naming/index.ts";
import type { Announcer, Registration } from "./announcer.ts";
import type { HealthCheckSettings } from "./health-check.ts";
import { LinkerAnnouncements } from "./linker-announcements.ts";
import type { MemberSpec } from "./member-data.ts";
import type { RegistrationState } from "./zk-registration.ts";

interface Announced {
  readonly announcer: string;
  readonly name: string;
  readonly member: string;
  wanted: boolean;
  withdrawn: boolean;
}

/** An announcer that records what it is asked to register. */
class RecordingAnnouncer implements Announcer {
  readonly kind = "test";
  readonly prefix: Path;
  readonly unannounceDelayMs = 0;
  readonly announced: Announced[];
  closed = false;
  constructor(prefix: Path, announced: Announced[]) {
    this.prefix = prefix;
    this.announced = announced;
  }
  announce(name: Path, member: MemberSpec): Registration {
    const a: Announced = {
      announcer: this.prefix.show,
      name: name.show,
      member: `${member.serviceEndpoint.host}:${member.serviceEndpoint.port}`,
      wanted: false,
      withdrawn: false,
    };
    this.announced.push(a);
    return {
      where: name.show,
      get state(): RegistrationState {
        return {
          status: a.wanted ? "registered" : "unregistered",
          node: a.wanted ? "/n" : null,
          lastError: null,
        };
      },
      setWanted: (w) => {
        a.wanted = w;
      },
      withdraw: async () => {
        a.withdrawn = true;
        a.wanted = false;
        return true;
      },
    };
  }
  state(): Record<string, unknown> {
    return { prefix: this.prefix.show };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const eth0: NetworkInterfaceInfo = {
  address: "10.0.0.7",
  netmask: "255.0.0.0",
  family: "IPv4",
  mac: "00:00:00:00:00:00",
  internal: false,
  cidr: null,
};

function setUp(config: unknown, probe?: (s: HealthCheckSettings) => Promise<void>) {
  const announced: Announced[] = [];
  const announcers: RecordingAnnouncer[] = [];
  const make = (c: PluginConfig) => {
    const a = new RecordingAnnouncer(CONFIGURED_NAMER_PREFIX.concat(c.prefix as Path), announced);
    announcers.push(a);
    return a;
  };
  const linker = validateLinkerConfig(config);
  const announcements = new LinkerAnnouncements(linker, make, { interfaces: { eth0: [eth0] }, probe });
  const servers = linker.routers.flatMap((r) =>
    r.servers.map((s, i) => ({ router: r.label, config: s, port: 5000 + i })),
  );
  return { announced, announcers, announcements, servers };
}

const zk = (prefix?: string) => ({
  kind: "io.l5d.serversets",
  zkAddrs: [{ host: "127.0.0.1" }],
  ...(prefix === undefined ? {} : { prefix }),
});

describe("LinkerAnnouncements", () => {
  it("announces each name through every announcer of its router (then the top-level ones) whose prefix it starts with", async () => {
    const t = setUp({
      routers: [
        {
          protocol: "http",
          label: "in",
          announcers: [zk(), zk("/other")],
          servers: [
            { port: 4004, announce: ["/#/io.l5d.serversets/pong", "/#/shared/pong/v1"] },
            { port: 4005, ip: "0.0.0.0", announce: ["/#/other/pong"] },
          ],
        },
      ],
      announcers: [zk("/shared"), zk()],
    });
    t.announcements.start(t.servers);
    assert.deepEqual(
      t.announced.map((a) => `${a.announcer} ${a.name} ${a.member} ${a.wanted}`),
      [
        "/#/io.l5d.serversets /pong 127.0.0.1:5000 true",
        "/#/io.l5d.serversets /pong 127.0.0.1:5000 true",
        "/#/shared /pong/v1 127.0.0.1:5000 true",
        "/#/other /pong 10.0.0.7:5001 true",
      ],
    );
    const state = t.announcements.state() as { announcements: { router: string; server: string }[] };
    assert.equal(state.announcements.length, 4);
    assert.deepEqual(state.announcements[3], {
      ...state.announcements[3],
      router: "in",
      server: "0.0.0.0:5001",
      address: "10.0.0.7:5001",
    });
    await t.announcements.withdraw();
    assert.ok(t.announced.every((a) => a.withdrawn && !a.wanted));
    assert.ok(t.announcers.every((a) => a.closed));
  });

  it("gates a server's announcements on its health check, through the server itself for `path`", async () => {
    const checked: string[] = [];
    let healthy = false;
    const t = setUp(
      {
        routers: [
          {
            protocol: "http",
            announcers: [zk()],
            servers: [
              {
                port: 4004,
                ip: "0.0.0.0",
                announce: ["/#/io.l5d.serversets/pong"],
                healthCheck: { path: "/health", host: "pong", intervalMs: 10 },
              },
            ],
          },
        ],
      },
      async (s) => {
        checked.push(`${s.url.href} ${s.host}`);
        if (!healthy) throw new Error("status 503");
      },
    );
    t.announcements.start(t.servers);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(checked[0], "http://127.0.0.1:5000/health pong");
    assert.equal(t.announced[0]?.wanted, false, "not registered before the check passes");
    healthy = true;
    const start = Date.now();
    while (!t.announced[0]?.wanted) {
      assert.ok(Date.now() - start < 2000, "registered once the check passes");
      await new Promise((r) => setTimeout(r, 5));
    }
    await t.announcements.withdraw();
    const after = checked.length;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(checked.length, after, "no check after withdrawing");
  });

  it("announces nothing for servers without announce names", () => {
    const t = setUp({ routers: [{ protocol: "http", servers: [{ port: 1 }] }] });
    t.announcements.start(t.servers);
    assert.equal(t.announcements.isEmpty, true);
    assert.deepEqual(t.announcements.state(), { announcers: [], announcements: [] });
  });
});
