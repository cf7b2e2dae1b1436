// Tests of the registry: one object per path, kinds, scopes, removal and snapshots on a fake clock.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Metrics } from "./metrics.ts";

/** A registry on a fake clock that the test moves. */
function fakeClock(snapshotIntervalMs?: number) {
  const clock = { now: 1_000 };
  const metrics = new Metrics({ clock: () => clock.now, snapshotIntervalMs });
  return { metrics, clock };
}

describe("Metrics", () => {
  test("making the same metric twice gives the same object", () => {
    const m = new Metrics();
    assert.equal(m.counter(["rt", "http", "requests"]), m.counter(["rt", "http", "requests"]));
    assert.equal(m.stat(["a", "latency"]), m.scope("a").stat("latency"));
    assert.equal(m.gauge("g"), m.gauge(["g"]));
  });

  test("a string is one segment, even with / in it", () => {
    const m = new Metrics();
    m.scope(["rt", "http", "server", "127.0.0.1/4140"]).counter("requests").incr();
    assert.ok(m.find(["rt", "http", "server", "127.0.0.1/4140", "requests"]));
    m.counter("a/b").incr();
    assert.deepEqual([...m.root.children!.keys()], ["rt", "a/b"]);
  });

  test("a path holds one kind of metric", () => {
    const m = new Metrics();
    m.counter(["x", "requests"]);
    assert.throws(() => m.stat(["x", "requests"]), {
      name: "TypeError",
      message: "metric x/requests is a counter, not a stat",
    });
    assert.throws(() => m.gauge(["x", "requests"]), TypeError);
    assert.throws(() => m.counter([]), TypeError);
  });

  test("a node can hold a metric and have children", () => {
    const m = new Metrics();
    const all = m.counter("failures");
    const one = m.counter(["failures", "Timeout"]);
    all.incr();
    one.incr();
    assert.equal(m.find("failures")!.metric, all);
    assert.equal(m.find(["failures", "Timeout"])!.metric, one);
  });

  test("gauge(path, f) samples f; registering again replaces it, as in Linkerd", () => {
    const m = new Metrics();
    const g = m.gauge("pool_size", () => 1);
    assert.equal(
      m.gauge("pool_size", () => 2),
      g,
    );
    assert.equal(g.value, 2);
    assert.equal(m.gauge("pool_size").value, 2, "without a function the gauge is left alone");
  });

  test("scopes nest and prefix every path", () => {
    const m = new Metrics();
    const client = m.scope(["rt", "http"]).scope(["client", "#/io.l5d.fs/web"]);
    assert.deepEqual(client.prefix, ["rt", "http", "client", "#/io.l5d.fs/web"]);
    client.counter(["service", "svc/web", "requests"]).incr(2);
    assert.equal(
      m.counter(["rt", "http", "client", "#/io.l5d.fs/web", "service", "svc/web", "requests"]).value,
      2,
    );
  });

  test("remove() drops a subtree, e.g. an idle client, and memory with it", () => {
    const m = new Metrics();
    const web = m.scope(["rt", "http", "client", "web"]);
    const old = web.counter("requests");
    old.incr();
    m.counter(["rt", "http", "client", "api", "requests"]).incr();
    assert.equal(web.remove(), true);
    assert.equal(m.find(["rt", "http", "client", "web"]), undefined);
    assert.ok(m.find(["rt", "http", "client", "api"]));
    assert.equal(web.remove(), false, "already gone");
    assert.equal(m.remove(["no", "such"]), false);
    assert.equal(m.remove([]), false, "the root stays");
    old.incr();
    assert.equal(web.counter("requests").value, 0, "made again, it starts afresh; old handles are detached");
  });

  test("remove() of the last client removes the empty client/ node too", () => {
    const m = new Metrics();
    m.counter(["rt", "http", "client", "web", "requests"]);
    m.counter(["rt", "http", "server", "s", "requests"]);
    m.remove(["rt", "http", "client", "web"]);
    assert.deepEqual([...m.find(["rt", "http"])!.children!.keys()], ["server"]);
  });

  test("churning clients leaves the tree as small as the live ones", () => {
    const m = new Metrics();
    for (let i = 0; i < 10_000; i++) {
      const c = m.scope(["rt", "http", "client", `10.0.0.${i}/80`]);
      c.counter("requests").incr();
      c.stat("request_latency_ms").add(i);
      if (i >= 3) m.remove(["rt", "http", "client", `10.0.0.${i - 3}/80`]);
    }
    assert.equal(m.find(["rt", "http", "client"])!.children!.size, 3);
  });

  test("tick() snapshots stats once the interval is over, on the fake clock", () => {
    const { metrics, clock } = fakeClock();
    const s = metrics.stat("latency");
    s.add(10);
    assert.equal(metrics.tick(), false);
    clock.now += 59_999;
    assert.equal(metrics.tick(), false);
    assert.equal(s.summary.count, 0);
    clock.now += 1;
    assert.equal(metrics.tick(), true);
    assert.equal(s.summary.count, 1);
    s.add(20);
    s.add(30);
    clock.now += 30_000;
    assert.equal(metrics.tick(), false);
    assert.equal(s.summary.max, 10, "still the last interval's");
    clock.now += 30_000;
    assert.equal(metrics.tick(), true);
    assert.deepEqual([s.summary.count, s.summary.min, s.summary.max], [2, 20, 30]);
  });

  test("tick() keeps to the interval's grid when called late, and skips ahead after a long gap", () => {
    const { metrics, clock } = fakeClock(1_000);
    clock.now += 1_300;
    assert.equal(metrics.tick(), true);
    clock.now += 700; // 2,000 after the start: the next boundary
    assert.equal(metrics.tick(), true);
    clock.now += 10_500;
    assert.equal(metrics.tick(), true);
    clock.now += 999;
    assert.equal(metrics.tick(), false, "the next interval starts from the late tick");
    clock.now += 1;
    assert.equal(metrics.tick(), true);
  });

  test("snapshot() ends every stat's interval, wherever it is in the tree", () => {
    const m = new Metrics();
    const a = m.stat(["rt", "http", "server", "s", "request_latency_ms"]);
    const b = m.stat(["rt", "http", "client", "c", "connect_latency_ms"]);
    m.counter(["rt", "http", "server", "s", "requests"]).incr();
    a.add(1);
    b.add(2);
    m.snapshot();
    assert.deepEqual([a.summary.count, b.summary.count], [1, 1]);
  });

  test("the interval must be positive", () => {
    assert.throws(() => new Metrics({ snapshotIntervalMs: 0 }), RangeError);
  });

  test("query() finds subtrees whose keys contain /", () => {
    const m = new Metrics();
    m.counter(["rt", "http", "server", "127.0.0.1/4140", "requests"]);
    assert.deepEqual(m.query("rt/http/server/127.0.0.1/4140")?.path, [
      "rt",
      "http",
      "server",
      "127.0.0.1/4140",
    ]);
    assert.equal(m.query("rt/nope"), undefined);
  });
});
