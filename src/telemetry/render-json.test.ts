// Tests of the flat /admin/metrics.json output, byte for byte as Linkerd's clients read it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Metrics } from "./metrics.ts";
import { flatJsonChunks, renderFlatJson } from "./render-json.ts";

/** Linkerd's expected flat JSON for a stat holding one value (AdminMetricsExportTelemeterTest). */
function oneValueStat(name: string, v: number): string {
  return [
    `"${name}.count":1`,
    `"${name}.max":${v}`,
    `"${name}.min":${v}`,
    `"${name}.p50":${v}`,
    `"${name}.p90":${v}`,
    `"${name}.p95":${v}`,
    `"${name}.p99":${v}`,
    `"${name}.p9990":${v}`,
    `"${name}.p9999":${v}`,
    `"${name}.sum":${v}`,
    `"${name}.avg":${v}`,
  ].join(",");
}

describe("renderFlatJson", () => {
  test("an empty tree is an empty object", () => {
    assert.equal(renderFlatJson(new Metrics().root), "{}");
  });

  test("counters are updated immediately", () => {
    const m = new Metrics();
    const c = m.scope(["foo", "bar"]).counter("bas");
    c.incr();
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas":1}');
    c.incr();
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas":2}');
  });

  test("gauges are sampled at render time", () => {
    const m = new Metrics();
    let v = 1;
    m.scope(["foo", "bar"]).gauge("bas", () => v);
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas":1}');
    v = 2.5;
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas":2.5}');
  });

  test("stats show the last snapshot: .count always, the rest when count > 0", () => {
    const m = new Metrics();
    const s = m.scope(["foo", "bar"]).stat("bas");
    s.add(1);
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas.count":0}');
    m.snapshot();
    assert.equal(renderFlatJson(m.root), `{${oneValueStat("foo/bar/bas", 1)}}`);
    s.add(2);
    assert.equal(renderFlatJson(m.root), `{${oneValueStat("foo/bar/bas", 1)}}`, "served from the snapshot");
    m.snapshot();
    assert.equal(renderFlatJson(m.root), `{${oneValueStat("foo/bar/bas", 2)}}`);
    m.snapshot();
    assert.equal(renderFlatJson(m.root), '{"foo/bar/bas.count":0}');
  });

  test("a stat's members come in Linkerd's order", () => {
    const m = new Metrics();
    const s = m.stat("lat");
    for (const v of [1, 2, 3, 4]) s.add(v);
    m.snapshot();
    assert.equal(
      renderFlatJson(m.root),
      '{"lat.count":4,"lat.max":4,"lat.min":1,"lat.p50":2,"lat.p90":4,"lat.p95":4,"lat.p99":4,' +
        '"lat.p9990":4,"lat.p9999":4,"lat.sum":10,"lat.avg":2.5}',
    );
  });

  test("Linkerd's router tree: segments containing / are joined like any other", () => {
    const m = new Metrics();
    m.scope(["rt", "http", "server", "127.0.0.1/4140"]).counter("requests").incr(12);
    m.scope(["rt", "http", "client", "#/io.l5d.fs/web"]).counter(["service", "svc/web", "requests"]).incr(3);
    m.counter(["rt", "http", "client", "#/io.l5d.fs/web", "failures"]).incr();
    m.counter(["rt", "http", "client", "#/io.l5d.fs/web", "failures", "Timeout"]).incr();
    assert.equal(
      renderFlatJson(m.root),
      '{"rt/http/server/127.0.0.1/4140/requests":12,' +
        '"rt/http/client/#/io.l5d.fs/web/service/svc/web/requests":3,' +
        '"rt/http/client/#/io.l5d.fs/web/failures":1,' +
        '"rt/http/client/#/io.l5d.fs/web/failures/Timeout":1}',
    );
  });

  test("keys are escaped as JSON strings; non-finite gauges are strings, as Jackson writes them", () => {
    const m = new Metrics();
    m.counter(['say "hi"', "back\\slash"]).incr();
    m.gauge("nan", () => Number.NaN);
    m.gauge("inf", () => Number.POSITIVE_INFINITY);
    const text = renderFlatJson(m.root);
    assert.equal(text, '{"say \\"hi\\"/back\\\\slash":1,"nan":"NaN","inf":"Infinity"}');
    assert.deepEqual(Object.keys(JSON.parse(text)), ['say "hi"/back\\slash', "nan", "inf"]);
  });

  test('a subtree\'s keys are relative to it; its own metric has the key ""', () => {
    const m = new Metrics();
    m.counter(["rt", "http", "server", "s", "requests"]).incr(4);
    m.counter(["rt", "http", "server", "s", "status", "200"]).incr(3);
    assert.equal(renderFlatJson(m.query("rt/http")!), '{"server/s/requests":4,"server/s/status/200":3}');
    assert.equal(renderFlatJson(m.query("rt/http/server/s/requests")!), '{"":4}');
  });

  test("pretty: sorted by name, one member per line, Jackson's spacing; stat members keep their order", () => {
    const m = new Metrics();
    m.counter(["b", "requests"]).incr(2);
    m.stat(["a", "latency"]).add(7);
    m.gauge(["a", "zeta"], () => 0.5);
    m.snapshot();
    assert.equal(
      renderFlatJson(m.root, { pretty: true }),
      [
        "{",
        '  "a/latency.count" : 1,',
        '  "a/latency.max" : 7,',
        '  "a/latency.min" : 7,',
        '  "a/latency.p50" : 7,',
        '  "a/latency.p90" : 7,',
        '  "a/latency.p95" : 7,',
        '  "a/latency.p99" : 7,',
        '  "a/latency.p9990" : 7,',
        '  "a/latency.p9999" : 7,',
        '  "a/latency.sum" : 7,',
        '  "a/latency.avg" : 7,',
        '  "a/zeta" : 0.5,',
        '  "b/requests" : 2',
        "}",
      ].join("\n"),
    );
    assert.equal(renderFlatJson(new Metrics().root, { pretty: true }), "{ }");
  });

  test("chunks join to the same text and are each about the chunk size", () => {
    const m = new Metrics();
    for (let i = 0; i < 500; i++) m.counter(["rt", "http", "client", `c${i}`, "requests"]).incr(i);
    const chunks = [...flatJsonChunks(m.root, {}, 1_000)];
    assert.ok(chunks.length > 10);
    assert.equal(chunks.join(""), renderFlatJson(m.root));
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length >= 1_000 && chunk.length < 1_100);
    assert.equal(Object.keys(JSON.parse(chunks.join(""))).length, 500);
  });
});
