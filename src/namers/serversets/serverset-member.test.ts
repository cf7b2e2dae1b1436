// Tests of serverset member JSON: which members count (ALIVE, with a host) and which endpoint a path selects.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemberSyntaxError, parseMember, selectEndpoint } from "./serverset-member.ts";

/** The member JSON of the article's step 3. */
const ARTICLE =
  '{"status": "ALIVE", "additionalEndpoints": {}, "serviceEndpoint": {"host": "127.0.0.1", "port": 8002}}';

const FULL = JSON.stringify({
  serviceEndpoint: { host: "10.0.0.1", port: 8080 },
  additionalEndpoints: { http: { host: "10.0.0.1", port: 8081 }, admin: { host: "10.0.0.2", port: 9990 } },
  status: "ALIVE",
  shard: 2,
  metadata: { zone: "a" },
});

describe("parseMember", () => {
  it("reads the article's member", () => {
    const m = parseMember(ARTICLE);
    assert.equal(m.status, "ALIVE");
    assert.deepEqual(m.serviceEndpoint, { host: "127.0.0.1", port: 8002 });
    assert.equal(m.additionalEndpoints.size, 0);
    assert.equal(m.shard, undefined);
  });

  it("reads additional endpoints and the shard", () => {
    const m = parseMember(FULL);
    assert.deepEqual([...m.additionalEndpoints.keys()], ["http", "admin"]);
    assert.deepEqual(m.additionalEndpoints.get("admin"), { host: "10.0.0.2", port: 9990 });
    assert.equal(m.shard, 2);
  });

  it("leaves out endpoints without a host or with a bad port, keeping the rest", () => {
    const m = parseMember(
      JSON.stringify({
        status: "ALIVE",
        serviceEndpoint: { port: 80 },
        additionalEndpoints: {
          a: { host: "", port: 80 },
          b: { host: "h", port: 0 },
          c: { host: "h", port: "80" },
          d: { host: "h", port: 65536 },
          e: null,
          ok: { host: "h", port: 1 },
        },
      }),
    );
    assert.equal(m.serviceEndpoint, undefined);
    assert.deepEqual([...m.additionalEndpoints.keys()], ["ok"]);
  });

  it("refuses what is not a JSON object", () => {
    assert.throws(() => parseMember("{"), MemberSyntaxError);
    assert.throws(() => parseMember("[]"), /not a JSON object/);
    assert.throws(() => parseMember("null"), /not a JSON object/);
    assert.throws(() => parseMember(""), /not JSON/);
  });
});

describe("selectEndpoint", () => {
  const full = parseMember(FULL);

  it("takes the service endpoint of an ALIVE member", () => {
    assert.deepEqual(selectEndpoint(parseMember(ARTICLE), {}), { host: "127.0.0.1", port: 8002 });
  });

  it("ignores members that are not ALIVE, or have no status", () => {
    for (const status of ["DEAD", "STARTING", "STOPPING", "STOPPED", "WARNING", "alive", undefined]) {
      const m = parseMember(JSON.stringify({ ...JSON.parse(FULL), status }));
      assert.equal(selectEndpoint(m, {}), undefined, String(status));
    }
  });

  it("ignores a member without the endpoint asked for", () => {
    assert.equal(selectEndpoint(parseMember(ARTICLE), { endpoint: "http" }), undefined);
    assert.equal(selectEndpoint(parseMember('{"status":"ALIVE"}'), {}), undefined);
  });

  it("takes a named additional endpoint for `:endpoint`", () => {
    assert.deepEqual(selectEndpoint(full, { endpoint: "http" }), { host: "10.0.0.1", port: 8081 });
    assert.deepEqual(selectEndpoint(full, { endpoint: "admin" }), { host: "10.0.0.2", port: 9990 });
  });

  it("keeps only the shard asked for with `#shard`; a member without a shard is in none", () => {
    assert.deepEqual(selectEndpoint(full, { shard: 2 }), { host: "10.0.0.1", port: 8080 });
    assert.equal(selectEndpoint(full, { shard: 1 }), undefined);
    assert.deepEqual(selectEndpoint(full, { endpoint: "http", shard: 2 }), { host: "10.0.0.1", port: 8081 });
    assert.equal(selectEndpoint(parseMember(ARTICLE), { shard: 0 }), undefined);
  });
});
