// Tests for IP sets learned once: canonical membership, one load shared by all, Pending until known, retry after failure.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { State } from "../naming/index.ts";
import { type IpSet, ipIn, ipSet, loadIpSetOnce } from "./ip-set.ts";
import { deferred, flush, record } from "./testkit.ts";

function kinds(states: readonly State<IpSet>[]): string[] {
  return states.map((s) => s.kind);
}

describe("ipSet and ipIn", () => {
  test("membership is by address, not by spelling; non-IP texts are left out", () => {
    const set = ipSet(["127.0.0.1", "0:0::1", "not-an-ip"]);
    assert.deepEqual([...set].sort(), ["127.0.0.1", "::1"]);
    assert.equal(ipIn(set, "::ffff:127.0.0.1"), true);
    assert.equal(ipIn(set, "[::1]"), true);
    assert.equal(ipIn(set, "127.0.0.2"), false);
    assert.equal(ipIn(set, "not-an-ip"), false);
  });
});

describe("loadIpSetOnce", () => {
  test("does nothing until observed, is Pending while loading, then Ok", async () => {
    let loads = 0;
    const answer = deferred<string[]>();
    const ips = loadIpSetOnce(() => {
      loads++;
      return answer.promise;
    });
    assert.equal(loads, 0);
    const seen = record(ips.states);
    assert.equal(loads, 1);
    assert.deepEqual(kinds(seen.values), ["pending"]);
    answer.resolve(["10.0.0.1"]);
    await flush();
    const last = seen.last();
    assert.equal(last.kind, "ok");
    assert.deepEqual(last.kind === "ok" ? [...last.value] : [], ["10.0.0.1"]);
    seen.sub.close();
  });

  test("loads once for every observer, now and later", async () => {
    let loads = 0;
    const ips = loadIpSetOnce(async () => {
      loads++;
      return ["10.0.0.1"];
    });
    const a = record(ips.states);
    const b = record(ips.states);
    await flush();
    a.sub.close();
    b.sub.close();
    const c = record(ips.states);
    assert.equal(c.last().kind, "ok");
    c.sub.close();
    assert.equal(loads, 1);
  });

  test("a failure is Failed, and is tried again (once at a time) when observed anew", async () => {
    let loads = 0;
    const answers = [deferred<string[]>(), deferred<string[]>()];
    const ips = loadIpSetOnce(() => (answers[loads++] as ReturnType<typeof deferred<string[]>>).promise);
    const first = record(ips.states);
    answers[0]?.reject(new Error("no network"));
    await flush();
    const failed = first.last();
    assert.equal(failed.kind, "failed");
    assert.equal(failed.kind === "failed" ? failed.error.message : "", "no network");
    const second = record(ips.states);
    const third = record(ips.states);
    assert.equal(loads, 2, "one retry, not one per observer");
    answers[1]?.resolve(["10.0.0.2"]);
    await flush();
    assert.equal(first.last().kind, "ok");
    assert.equal(third.last().kind, "ok");
    for (const r of [first, second, third]) r.sub.close();
  });

  test("a load that throws at once is Failed, not thrown", async () => {
    const ips = loadIpSetOnce(() => {
      throw new Error("boom");
    });
    const seen = record(ips.states);
    await flush();
    assert.equal(seen.last().kind, "failed");
    seen.sub.close();
  });
});
