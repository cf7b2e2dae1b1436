// Tests of the Prometheus text output: Linkerd's names, labels, stats and escaping.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Metrics } from "./metrics.ts";
import {
  escapeLabelValue,
  prometheusChunks,
  promNumber,
  renderPrometheus,
  sanitizeName,
} from "./render-prometheus.ts";

const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join("");

describe("renderPrometheus", () => {
  test("an empty tree renders nothing", () => {
    assert.equal(renderPrometheus(new Metrics().root), "");
  });

  test("counters: segments joined by :, with the prefix in front", () => {
    const m = new Metrics();
    const c = m.scope(["foo", "bar"]).counter("bas");
    c.incr();
    assert.equal(renderPrometheus(m.root, { prefix: "linkerd_" }), "linkerd_foo:bar:bas 1\n");
    c.incr();
    assert.equal(renderPrometheus(m.root), "foo:bar:bas 2\n");
  });

  test("gauges are sampled at render time", () => {
    const m = new Metrics();
    let v = 1;
    m.scope(["foo", "bar"]).gauge("bas", () => v);
    assert.equal(renderPrometheus(m.root), "foo:bar:bas 1\n");
    v = 2.5;
    assert.equal(renderPrometheus(m.root), "foo:bar:bas 2.5\n");
  });

  test("stats: _count _sum _avg and quantiles 0..1, from the last snapshot", () => {
    const m = new Metrics();
    const s = m.scope(["foo", "bar"]).stat("bas");
    s.add(1);
    assert.equal(renderPrometheus(m.root), "", "nothing before the first snapshot");
    m.snapshot();
    assert.equal(
      renderPrometheus(m.root, { prefix: "linkerd_" }),
      lines(
        "linkerd_foo:bar:bas_count 1",
        "linkerd_foo:bar:bas_sum 1",
        "linkerd_foo:bar:bas_avg 1",
        'linkerd_foo:bar:bas{quantile="0"} 1',
        'linkerd_foo:bar:bas{quantile="0.5"} 1',
        'linkerd_foo:bar:bas{quantile="0.9"} 1',
        'linkerd_foo:bar:bas{quantile="0.95"} 1',
        'linkerd_foo:bar:bas{quantile="0.99"} 1',
        'linkerd_foo:bar:bas{quantile="0.999"} 1',
        'linkerd_foo:bar:bas{quantile="0.9999"} 1',
        'linkerd_foo:bar:bas{quantile="1"} 1',
      ),
    );
    s.add(1);
    s.add(2);
    m.snapshot();
    assert.equal(
      renderPrometheus(m.root),
      lines(
        "foo:bar:bas_count 2",
        "foo:bar:bas_sum 3",
        "foo:bar:bas_avg 1.5",
        'foo:bar:bas{quantile="0"} 1',
        'foo:bar:bas{quantile="0.5"} 1',
        'foo:bar:bas{quantile="0.9"} 2',
        'foo:bar:bas{quantile="0.95"} 2',
        'foo:bar:bas{quantile="0.99"} 2',
        'foo:bar:bas{quantile="0.999"} 2',
        'foo:bar:bas{quantile="0.9999"} 2',
        'foo:bar:bas{quantile="1"} 2',
      ),
    );
  });

  test("empty histograms are not printed", () => {
    const m = new Metrics();
    m.stat(["foo", "bar", "bas"]);
    m.snapshot();
    assert.equal(renderPrometheus(m.root), "");
  });

  test("server stats are labelled with rt and server", () => {
    const m = new Metrics();
    m.scope(["rt", "http", "server", "127.0.0.1/4140"]).counter("requests").incr(12);
    assert.equal(renderPrometheus(m.root), 'rt:server:requests{rt="http", server="127.0.0.1/4140"} 12\n');
  });

  test("service (logical name) stats are labelled", () => {
    const m = new Metrics();
    m.scope(["rt", "incoming", "service", "svc/foo"]).counter("requests").incr();
    m.counter(["rt", "incoming", "service", "svc/foo", "retries", "total"]).incr(2);
    assert.equal(
      renderPrometheus(m.root, { prefix: "linkerd_" }),
      lines(
        'linkerd_rt:service:requests{rt="incoming", service="svc/foo"} 1',
        'linkerd_rt:service:retries:total{rt="incoming", service="svc/foo"} 2',
      ),
    );
  });

  test("client stats, and a client's per-service stats", () => {
    const m = new Metrics();
    const c = m.scope(["rt", "incoming", "client", "#/io.l5d.fs/bar"]);
    c.counter("requests").incr();
    c.counter(["service", "svc/foo", "requests"]).incr(2);
    c.gauge(["loadbalancer", "size"], () => 3);
    assert.equal(
      renderPrometheus(m.root),
      lines(
        'rt:client:requests{rt="incoming", client="#/io.l5d.fs/bar"} 1',
        'rt:client:service:requests{rt="incoming", client="#/io.l5d.fs/bar", service="svc/foo"} 2',
        'rt:client:loadbalancer:size{rt="incoming", client="#/io.l5d.fs/bar"} 3',
      ),
    );
  });

  test("exceptions under a client's or server's failures/ and exn/ become a label", () => {
    const m = new Metrics();
    const c = m.scope(["rt", "incoming", "client", "127.0.0.1/4141"]);
    c.counter("failures").incr(4);
    c.counter(["failures", "foo"]).incr(2);
    c.counter(["failures", "foo:bar"]).incr(2);
    c.counter(["failures", "foo", "bar"]).incr();
    m.counter(["rt", "incoming", "server", "0.0.0.0/4140", "exn", "java.io.IOException"]).incr();
    m.counter(["rt", "incoming", "service", "svc/a", "failures", "Timeout"]).incr();
    assert.equal(
      renderPrometheus(m.root),
      lines(
        'rt:client:failures{rt="incoming", client="127.0.0.1/4141"} 4',
        'rt:client:failures{rt="incoming", client="127.0.0.1/4141", exception="foo"} 2',
        'rt:client:failures:bar{rt="incoming", client="127.0.0.1/4141", exception="foo"} 1',
        'rt:client:failures{rt="incoming", client="127.0.0.1/4141", exception="foo:bar"} 2',
        'rt:server:exn{rt="incoming", server="0.0.0.0/4140", exception="java.io.IOException"} 1',
        'rt:service:failures:Timeout{rt="incoming", service="svc/a"} 1',
      ),
    );
  });

  test("stats keep their labels, quantile last", () => {
    const m = new Metrics();
    const s = m.stat(["rt", "http", "client", "$/inet/127.1/8080", "request_latency_ms"]);
    s.add(250);
    m.snapshot();
    const text = renderPrometheus(m.root);
    assert.ok(
      text.startsWith(
        'rt:client:request_latency_ms_count{rt="http", client="$/inet/127.1/8080"} 1\n' +
          'rt:client:request_latency_ms_sum{rt="http", client="$/inet/127.1/8080"} 250\n' +
          'rt:client:request_latency_ms_avg{rt="http", client="$/inet/127.1/8080"} 250\n' +
          'rt:client:request_latency_ms{rt="http", client="$/inet/127.1/8080", quantile="0"} 250\n',
      ),
      text,
    );
    assert.ok(
      text.endsWith(
        'rt:client:request_latency_ms{rt="http", client="$/inet/127.1/8080", quantile="1"} 250\n',
      ),
    );
  });

  test("only rt/ is relabelled; other trees keep every segment in the name", () => {
    const m = new Metrics();
    m.counter(["namer", "#/io.l5d.fs", "lookups"]).incr();
    m.counter(["rt"]).incr();
    m.counter(["rt", "http"]).incr(2);
    m.counter(["rt", "http", "bindcache", "path", "misses"]).incr(3);
    assert.equal(
      renderPrometheus(m.root),
      lines(
        "namer:__io_l5d_fs:lookups 1",
        "rt 1",
        'rt{rt="http"} 2',
        'rt:bindcache:path:misses{rt="http"} 3',
      ),
    );
  });

  test("label values are escaped properly (Linkerd turned a quote into backslashes)", () => {
    const m = new Metrics();
    m.counter(["rt", "incoming", "service", 'a\\x5b "q"\nz', "requests"]).incr();
    assert.equal(
      renderPrometheus(m.root, { prefix: "linkerd_" }),
      'linkerd_rt:service:requests{rt="incoming", service="a\\\\x5b \\"q\\"\\nz"} 1\n',
    );
  });

  test("names: characters outside [A-Za-z0-9:] become _, prefix included", () => {
    const m = new Metrics();
    m.counter(["jvm", "mem", "postGC", "Par Eden-Space", "used"]).incr();
    assert.equal(renderPrometheus(m.root, { prefix: "l5d-" }), "l5d_jvm:mem:postGC:Par_Eden_Space:used 1\n");
    assert.equal(sanitizeName("a.b/c:d_e9"), "a_b_c:d_e9");
  });

  test("values: infinities as +Inf/-Inf, NaN as NaN", () => {
    assert.deepEqual(
      [1, 0.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(promNumber),
      ["1", "0.25", "NaN", "+Inf", "-Inf"],
    );
    const m = new Metrics();
    m.gauge("g", () => {
      throw new Error("gone");
    });
    assert.equal(renderPrometheus(m.root), "g NaN\n");
  });

  test("escapeLabelValue leaves ordinary values alone", () => {
    assert.equal(escapeLabelValue("#/io.l5d.fs/web"), "#/io.l5d.fs/web");
    assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  });

  test("chunks join to the same text, each ending at a line end", () => {
    const m = new Metrics();
    for (let i = 0; i < 300; i++) {
      const c = m.scope(["rt", "http", "client", `10.0.0.${i}/80`]);
      c.counter("requests").incr(i);
      c.stat("request_latency_ms").add(i);
    }
    m.snapshot();
    const chunks = [...prometheusChunks(m.root, {}, 2_000)];
    assert.ok(chunks.length > 10);
    assert.equal(chunks.join(""), renderPrometheus(m.root));
    for (const chunk of chunks) assert.ok(chunk.endsWith("\n"));
  });
});
