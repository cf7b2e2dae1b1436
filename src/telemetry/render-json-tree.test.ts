// Tests of the nested /admin/metrics.json?tree=1 output.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Metrics } from "./metrics.ts";
import { jsonTreeChunks, renderJsonTree } from "./render-json-tree.ts";

describe("renderJsonTree", () => {
  test("an empty tree is an empty object", () => {
    assert.equal(renderJsonTree(new Metrics().root), "{}");
  });

  test("counters nest by segment, keys containing / included", () => {
    const m = new Metrics();
    m.counter(["rt", "http", "server", "127.0.0.1/4140", "requests"]).incr(12);
    assert.equal(
      renderJsonTree(m.root),
      '{"rt":{"http":{"server":{"127.0.0.1/4140":{"requests":{"counter":12}}}}}}',
    );
  });

  test("gauges, stats, and a metric beside children", () => {
    const m = new Metrics();
    m.gauge(["jvm", "uptime"], () => 1.5);
    m.counter("failures").incr(2);
    m.counter(["failures", "Timeout"]).incr();
    const s = m.stat("latency");
    s.add(3);
    m.stat("idle");
    m.snapshot();
    assert.equal(
      renderJsonTree(m.root),
      '{"jvm":{"uptime":{"gauge":1.5}},' +
        '"failures":{"counter":2,"Timeout":{"counter":1}},' +
        '"latency":{"stat.count":1,"stat.max":3,"stat.min":3,"stat.p50":3,"stat.p90":3,"stat.p95":3,' +
        '"stat.p99":3,"stat.p9990":3,"stat.p9999":3,"stat.sum":3,"stat.avg":3},' +
        '"idle":{"stat.count":0}}',
    );
  });

  test("a subtree renders from its own node", () => {
    const m = new Metrics();
    m.counter(["rt", "http", "server", "s", "requests"]).incr();
    assert.equal(renderJsonTree(m.query("rt/http/server")!), '{"s":{"requests":{"counter":1}}}');
    assert.equal(renderJsonTree(m.query("rt/http/server/s/requests")!), '{"counter":1}');
  });

  test("deep trees and chunking give valid JSON equal to the whole", () => {
    const m = new Metrics();
    for (let i = 0; i < 300; i++) {
      m.counter(["rt", "http", "client", `c${i}`, "a", "b", "c", "d", "requests"]).incr(i);
      m.counter(["rt", "http", "client", `c${i}`, "a", "x"]).incr(i);
    }
    const chunks = [...jsonTreeChunks(m.root, 500)];
    assert.ok(chunks.length > 10);
    const text = chunks.join("");
    assert.equal(text, renderJsonTree(m.root));
    const parsed = JSON.parse(text);
    assert.deepEqual(parsed.rt.http.client.c7, {
      a: { b: { c: { d: { requests: { counter: 7 } } } }, x: { counter: 7 } },
    });
  });
});
