// Tests of the admin metrics responses: parameters, 404s, content types and lazy snapshots.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  booleanParam,
  JSON_CONTENT_TYPE,
  metricsJsonResponse,
  metricsJsonStream,
  prometheusResponse,
  prometheusStream,
} from "./endpoints.ts";
import { Metrics } from "./metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./render-prometheus.ts";

function setup() {
  const clock = { now: 0 };
  const metrics = new Metrics({ clock: () => clock.now });
  metrics.scope(["rt", "http", "server", "127.0.0.1/4140"]).counter("requests").incr(12);
  return { metrics, clock };
}

const params = (query: string) => new URLSearchParams(query);

describe("metricsJsonResponse", () => {
  test("flat JSON by default", () => {
    const { metrics } = setup();
    assert.deepEqual(metricsJsonResponse(metrics, params("")), {
      status: 200,
      contentType: JSON_CONTENT_TYPE,
      body: '{"rt/http/server/127.0.0.1/4140/requests":12}',
    });
  });

  test("?tree=1 nests", () => {
    const { metrics } = setup();
    assert.equal(
      metricsJsonResponse(metrics, params("tree=1")).body,
      '{"rt":{"http":{"server":{"127.0.0.1/4140":{"requests":{"counter":12}}}}}}',
    );
  });

  test("?pretty=true indents", () => {
    const { metrics } = setup();
    assert.equal(
      metricsJsonResponse(metrics, params("pretty=true")).body,
      '{\n  "rt/http/server/127.0.0.1/4140/requests" : 12\n}',
    );
  });

  test("?q= selects a subtree, also with ?tree", () => {
    const { metrics } = setup();
    assert.equal(
      metricsJsonResponse(metrics, params("q=rt/http")).body,
      '{"server/127.0.0.1/4140/requests":12}',
    );
    assert.equal(
      metricsJsonResponse(metrics, params("q=rt/http/server/127.0.0.1/4140&tree=t")).body,
      '{"requests":{"counter":12}}',
    );
  });

  test("an unknown ?q= is a 404 with Linkerd's error body", () => {
    const { metrics } = setup();
    const r = metricsJsonResponse(metrics, params("q=rt/nope"));
    assert.deepEqual(r, {
      status: 404,
      contentType: JSON_CONTENT_TYPE,
      body: '{"error": "No such subtree: rt/nope"}',
    });
    const quoted = metricsJsonResponse(metrics, params('q=a"b'));
    assert.deepEqual(JSON.parse(quoted.body), { error: 'No such subtree: a"b' });
  });

  test("stats are snapshotted lazily when the interval is over", () => {
    const { metrics, clock } = setup();
    metrics.stat("lat").add(5);
    assert.match(metricsJsonResponse(metrics, params("")).body, /"lat.count":0/);
    clock.now = 60_000;
    assert.match(metricsJsonResponse(metrics, params("")).body, /"lat.count":1,"lat.max":5/);
  });

  test("the stream form gives the same body in chunks", () => {
    const { metrics } = setup();
    for (const q of ["", "tree=1", "pretty=1", "q=rt/http", "q=nope"]) {
      const stream = metricsJsonStream(metrics, params(q));
      const response = metricsJsonResponse(metrics, params(q));
      assert.equal(stream.status, response.status);
      assert.equal([...stream.chunks].join(""), response.body);
    }
  });
});

describe("prometheusResponse", () => {
  test("text exposition with the prefix", () => {
    const { metrics } = setup();
    assert.deepEqual(prometheusResponse(metrics, { prefix: "linkerd_" }), {
      status: 200,
      contentType: PROMETHEUS_CONTENT_TYPE,
      body: 'linkerd_rt:server:requests{rt="http", server="127.0.0.1/4140"} 12\n',
    });
    assert.equal([...prometheusStream(metrics).chunks].join(""), prometheusResponse(metrics).body);
  });

  test("stats are snapshotted lazily when the interval is over", () => {
    const { metrics, clock } = setup();
    metrics.stat("lat").add(5);
    assert.doesNotMatch(prometheusResponse(metrics).body, /lat/);
    clock.now = 60_000;
    assert.match(prometheusResponse(metrics).body, /^lat_count 1$/m);
  });
});

describe("booleanParam", () => {
  test("1, t and true in any case are true; anything else is false", () => {
    for (const v of ["1", "t", "true", "TRUE", "T"])
      assert.equal(booleanParam(params(`x=${v}`), "x"), true, v);
    for (const v of ["0", "f", "false", "yes", ""])
      assert.equal(booleanParam(params(`x=${v}`), "x"), false, v);
    assert.equal(booleanParam(params(""), "x"), false);
  });
});
