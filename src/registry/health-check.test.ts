// Tests of HealthCheck's thresholds and timing with a scripted probe and timers driven by the test.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import type { Timers } from "../naming/index.ts";
import { HealthCheck, type HealthCheckSettings, httpProbe } from "./health-check.ts";

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, { f: () => void; ms: number }>();
  #next = 0;
  setTimeout(f: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.pending.set(id, { f, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires the one pending timer, and lets the check it starts finish. */
  async fire(): Promise<number> {
    const [[id, t]] = [...this.pending] as [[number, { f: () => void; ms: number }]];
    this.pending.delete(id);
    t.f();
    await new Promise((r) => setImmediate(r));
    return t.ms;
  }
}

const SETTINGS: HealthCheckSettings = {
  url: new URL("http://127.0.0.1:1/health"),
  intervalMs: 1000,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

/** A check whose answers come from `script` (true: pass), and what its listener heard. */
function scripted(script: boolean[]) {
  const timers = new ManualTimers();
  const heard: boolean[] = [];
  const check = new HealthCheck(SETTINGS, {
    timers,
    now: () => 0,
    probe: async () => {
      if (!script.shift()) throw new Error("status 503");
    },
  });
  return { timers, heard, check, start: () => check.start((p) => heard.push(p)) };
}

describe("HealthCheck", () => {
  it("decides on the first answer, then needs the thresholds in a row to change its mind", async () => {
    const t = scripted([true, false, false, true, false, false, false, true, true]);
    t.start();
    await new Promise((r) => setImmediate(r));
    assert.equal(t.check.state, "passing");
    assert.deepEqual(t.heard, [true], "the first pass registers at once");
    await t.timers.fire(); // fail 1
    await t.timers.fire(); // fail 2
    await t.timers.fire(); // pass: the streak is broken
    assert.deepEqual(t.heard, [true]);
    await t.timers.fire(); // fail 1
    await t.timers.fire(); // fail 2
    assert.equal(t.check.state, "passing");
    await t.timers.fire(); // fail 3: failing
    assert.equal(t.check.state, "failing");
    assert.deepEqual(t.heard, [true, false]);
    assert.equal(t.check.toJSON().lastError, "status 503");
    await t.timers.fire(); // pass 1
    assert.deepEqual(t.heard, [true, false]);
    await t.timers.fire(); // pass 2: passing again
    assert.deepEqual(t.heard, [true, false, true]);
    assert.equal(t.check.toJSON().checks, 9);
    t.check.stop();
    assert.equal(t.timers.pending.size, 0, "stop leaves no timer");
  });

  it("a first failure is failing at once, and checks again every intervalMs", async () => {
    const t = scripted([false, true, true]);
    t.start();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(t.heard, [false]);
    assert.equal(await t.timers.fire(), 1000);
    assert.equal(await t.timers.fire(), 1000);
    assert.deepEqual(t.heard, [false, true]);
    t.check.stop();
  });
});

describe("httpProbe", () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return (s.address() as AddressInfo).port;
  }

  it("passes 2xx and 3xx, fails other statuses, silence and refused connections, with the reason", async () => {
    let status = 204;
    let host = "";
    const port = await serve((req, res) => {
      host = req.headers.host ?? "";
      if (req.url === "/slow") return;
      res.writeHead(status).end();
    });
    const at = (path: string, extra: Partial<HealthCheckSettings> = {}) => ({
      ...SETTINGS,
      url: new URL(`http://127.0.0.1:${port}${path}`),
      ...extra,
    });
    await httpProbe(at("/health", { host: "pong" }));
    assert.equal(host, "pong");
    status = 302;
    await httpProbe(at("/health"));
    status = 503;
    await assert.rejects(httpProbe(at("/health")), /status 503/);
    await assert.rejects(httpProbe(at("/slow", { timeoutMs: 100 })), /no answer within 100 ms/);
    const closed = await serve(() => {});
    servers.pop()?.close();
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(
      httpProbe({ ...SETTINGS, url: new URL(`http://127.0.0.1:${closed}/`) }),
      /ECONNREFUSED/,
    );
  });
});
