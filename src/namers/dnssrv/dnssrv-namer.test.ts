// The io.l5d.dnssrv namer on a scripted DNS client and fake timers: answers, Neg, failures, refreshes, sharing; and dnsHosts entries.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Addr,
  type Closable,
  type Name,
  type NameTree,
  readPath,
  type State,
  type Timers,
} from "../../naming/index.ts";
import { type DnsClient, parseDnsHost, type SrvTarget } from "./dns-client.ts";
import { DnsSrvNamer } from "./dnssrv-namer.ts";

class FakeTimers implements Timers {
  readonly pending = new Map<number, { f: () => void; ms: number }>();
  #next = 1;
  setTimeout(f: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { f, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs every timer due now (all of them: the namer has one at a time per record). */
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.f();
  }
}

function dnsError(code: string): Error {
  return Object.assign(new Error(`querySrv ${code}`), { code });
}

/** A DNS client answering from tables that the test changes; counts SRV questions. */
class ScriptedDns implements DnsClient {
  srv = new Map<string, SrvTarget[] | Error>();
  hosts = new Map<string, string[]>();
  questions = 0;
  async resolveSrv(name: string): Promise<SrvTarget[]> {
    this.questions++;
    const a = this.srv.get(name);
    if (a === undefined) throw dnsError("ENOTFOUND");
    if (a instanceof Error) throw a;
    return a;
  }
  async resolveTarget(name: string): Promise<string[]> {
    const ips = this.hosts.get(name);
    if (ips === undefined) throw dnsError("ENOTFOUND");
    return ips;
  }
}

const target = (name: string, port: number): SrvTarget => ({ name, port, priority: 0, weight: 10 });

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A live view of what the namer gives for a path. */
class Observed implements Closable {
  state: State<NameTree<Name>> = { kind: "pending" };
  addr: Addr = Addr.pending;
  readonly #subs: Closable[] = [];
  constructor(namer: DnsSrvNamer, path: string) {
    this.#subs.push(
      namer.lookup(readPath(path)).observe((s) => {
        this.state = s;
        if (s.kind === "ok" && s.value.kind === "leaf") {
          const leaf = s.value.value as { addr: { observe(f: (a: Addr) => void): Closable } };
          this.#subs.push(leaf.addr.observe((a) => (this.addr = a)));
        }
      }),
    );
  }
  get tree(): string {
    const s = this.state;
    if (s.kind === "failed") return `failed: ${s.error.message}`;
    if (s.kind !== "ok") return s.kind;
    if (s.value.kind !== "leaf") return s.value.kind;
    const b = s.value.value as { id: { show: string }; residual: { show: string; isEmpty: boolean } };
    return b.residual.isEmpty ? b.id.show : `${b.id.show} (residual ${b.residual.show})`;
  }
  get addrs(): string[] | string {
    if (this.addr.kind !== "bound") return this.addr.kind;
    return this.addr.addrs.map((a) => `${a.ip}:${a.port}`).sort();
  }
  close(): void {
    for (const s of this.#subs) s.close();
  }
}

function setup() {
  const dns = new ScriptedDns();
  const timers = new FakeTimers();
  const namer = new DnsSrvNamer(readPath("/#/io.l5d.dnssrv"), { client: dns, timers, refreshMs: 5000 });
  return { dns, timers, namer };
}

describe("io.l5d.dnssrv namer", () => {
  test("binds a record's targets, with the record name as the id and the rest as the residual", async () => {
    const { dns, namer, timers } = setup();
    dns.srv.set("_http._tcp.pong.test", [target("a.test", 8002), target("b.test", 8003)]);
    dns.hosts.set("a.test", ["10.0.0.1"]);
    dns.hosts.set("b.test", ["10.0.0.2", "fd00::2"]);
    const o = new Observed(namer, "/_http._tcp.pong.test/v1/users");
    assert.equal(o.tree, "pending");
    await settle();
    assert.equal(o.tree, "/#/io.l5d.dnssrv/_http._tcp.pong.test (residual /v1/users)");
    assert.deepEqual(o.addrs, ["10.0.0.1:8002", "10.0.0.2:8003", "fd00::2:8003"]);
    assert.equal([...timers.pending.values()][0]?.ms, 5000, "asked again after the refresh interval");
    o.close();
  });

  test("is Neg for NXDOMAIN, for a name without SRV records, and for an empty answer", async () => {
    const { dns, namer } = setup();
    dns.srv.set("_http._tcp.nodata.test", dnsError("ENODATA"));
    dns.srv.set("_http._tcp.empty.test", []);
    const views = ["/_http._tcp.none.test", "/_http._tcp.nodata.test", "/_http._tcp.empty.test"].map(
      (p) => new Observed(namer, p),
    );
    await settle();
    assert.deepEqual(
      views.map((v) => v.tree),
      ["neg", "neg", "neg"],
    );
    assert.equal(new Observed(namer, "/").tree, "neg", "the empty path");
    for (const v of views) v.close();
  });

  test("follows changes at each refresh: targets added, moved, and the record removed", async () => {
    const { dns, namer, timers } = setup();
    dns.hosts.set("a.test", ["10.0.0.1"]);
    dns.hosts.set("b.test", ["10.0.0.2"]);
    dns.srv.set("_x._tcp.svc.test", [target("a.test", 80)]);
    const o = new Observed(namer, "/_x._tcp.svc.test");
    await settle();
    assert.deepEqual(o.addrs, ["10.0.0.1:80"]);
    dns.srv.set("_x._tcp.svc.test", [target("a.test", 80), target("b.test", 81)]);
    timers.fire();
    await settle();
    assert.deepEqual(o.addrs, ["10.0.0.1:80", "10.0.0.2:81"]);
    dns.hosts.set("b.test", ["10.0.0.3"]);
    timers.fire();
    await settle();
    assert.deepEqual(o.addrs, ["10.0.0.1:80", "10.0.0.3:81"]);
    dns.srv.delete("_x._tcp.svc.test");
    timers.fire();
    await settle();
    assert.equal(o.tree, "neg");
    o.close();
  });

  test("is Failed when the first question fails, and keeps the last answer when a later one does", async () => {
    const { dns, namer, timers } = setup();
    dns.hosts.set("a.test", ["10.0.0.1"]);
    dns.srv.set("_x._tcp.svc.test", dnsError("ETIMEOUT"));
    const o = new Observed(namer, "/_x._tcp.svc.test");
    await settle();
    assert.equal(o.tree, "failed: querySrv ETIMEOUT");
    dns.srv.set("_x._tcp.svc.test", [target("a.test", 80)]);
    timers.fire();
    await settle();
    assert.deepEqual(o.addrs, ["10.0.0.1:80"]);
    dns.srv.set("_x._tcp.svc.test", dnsError("ESERVFAIL"));
    timers.fire();
    await settle();
    assert.equal(o.tree, "/#/io.l5d.dnssrv/_x._tcp.svc.test");
    assert.deepEqual(o.addrs, ["10.0.0.1:80"], "the last answer stays");
    const state = namer.state() as { records: Record<string, { state: string; lastError?: string }> };
    assert.equal(state.records["_x._tcp.svc.test"]?.state, "bound");
    assert.equal(state.records["_x._tcp.svc.test"]?.lastError, "querySrv ESERVFAIL");
    o.close();
  });

  test("leaves out targets without addresses, and fails when none has one", async () => {
    const { dns, namer, timers } = setup();
    dns.hosts.set("a.test", ["10.0.0.1"]);
    dns.srv.set("_x._tcp.svc.test", [target("a.test", 80), target("gone.test", 81)]);
    const o = new Observed(namer, "/_x._tcp.svc.test");
    await settle();
    assert.deepEqual(o.addrs, ["10.0.0.1:80"]);
    o.close();
    assert.equal(timers.pending.size, 0);
    dns.srv.set("_y._tcp.svc.test", [target("gone.test", 81)]);
    const none = new Observed(namer, "/_y._tcp.svc.test");
    await settle();
    assert.match(none.tree, /^failed: _y\._tcp\.svc\.test: none of its SRV targets has an address/);
    none.close();
  });

  test("asks once per round for a record however many paths use it, and stops when none does", async () => {
    const { dns, namer, timers } = setup();
    dns.hosts.set("a.test", ["10.0.0.1"]);
    dns.srv.set("_x._tcp.svc.test", [target("a.test", 80)]);
    const a = new Observed(namer, "/_x._tcp.svc.test/a");
    const b = new Observed(namer, "/_x._tcp.svc.test/b");
    await settle();
    assert.equal(dns.questions, 1);
    timers.fire();
    await settle();
    assert.equal(dns.questions, 2);
    assert.deepEqual(Object.keys((namer.state() as { records: object }).records), ["_x._tcp.svc.test"]);
    a.close();
    assert.equal(timers.pending.size, 1, "still in use by the other path");
    b.close();
    assert.equal(timers.pending.size, 0, "no timer left once nothing uses the record");
    assert.deepEqual((namer.state() as { records: object }).records, {});
  });
});

describe("dnsHosts entries", () => {
  const cases: [string, { host: string; port: number } | undefined][] = [
    ["127.0.0.1", { host: "127.0.0.1", port: 53 }],
    ["127.0.0.1:5353", { host: "127.0.0.1", port: 5353 }],
    ["localhost", { host: "localhost", port: 53 }],
    ["dns.example:53", { host: "dns.example", port: 53 }],
    ["[::1]:5353", { host: "::1", port: 5353 }],
    ["[::1]", { host: "::1", port: 53 }],
    ["::1", { host: "::1", port: 53 }],
    ["127.0.0.1:0", undefined],
    ["127.0.0.1:70000", undefined],
    ["a:b:c", undefined],
    ["", undefined],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(parseDnsHost(text), expected));
  }
});
