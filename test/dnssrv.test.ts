// io.l5d.dnssrv against a real DNS server (dnsmasq): SRV answers, NXDOMAIN and empty answers, changes, and the server going away.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { nodeDnsClient } from "../src/namers/dnssrv/dns-client.ts";
import { DnsSrvNamer } from "../src/namers/dnssrv/dnssrv-namer.ts";
import { systemLookup } from "../src/namers/inet/resolver.ts";
import { readPath } from "../src/naming/index.ts";
import { Dnsmasq, dnsmasqUnavailable } from "./support/dnsmasq.ts";
import {
  adminGet,
  Backend,
  l5dErr,
  metrics,
  type ProxyProcess,
  runTrellis,
  send,
  startProxyWith,
  tempDir,
  writeConfig,
} from "./support/proxy-harness.ts";
import { Binding, waitFor } from "./support/serversets.ts";

const skip = dnsmasqUnavailable() ?? false;
// Skipped suites are not counted as skipped tests: this one is, so that a run without dnsmasq says so.
if (skip !== false) it("io.l5d.dnssrv against a real DNS server (dnsmasq)", { skip }, () => {});

const PONG = "_http._tcp.pong.test";

describe("io.l5d.dnssrv namer against dnsmasq", { skip }, () => {
  let dns: Dnsmasq;
  const opened: { close(): void }[] = [];
  after(async () => {
    for (const o of opened) o.close();
    await dns?.cleanup();
  });

  it("binds SRV targets, and is Neg for NXDOMAIN and for a name without SRV records", async () => {
    dns = await Dnsmasq.start({
      srv: [
        { name: PONG, target: "a.test", port: 8002, weight: 10 },
        { name: PONG, target: "b.test", port: 8003, weight: 20 },
      ],
      hosts: { "a.test": ["127.0.0.1"], "b.test": ["127.0.0.2"] },
    });
    // A host name among dnsHosts is looked up once, as Linkerd's `dnsHosts: [localhost]` allows.
    const client = nodeDnsClient([`localhost:${dns.port}`], systemLookup);
    const namer = new DnsSrvNamer(readPath("/#/io.l5d.dnssrv"), { client, refreshMs: 1000 });
    const pong = new Binding(namer, readPath(`/${PONG}/v1`));
    const none = new Binding(namer, readPath("/_http._tcp.none.test"));
    const aOnly = new Binding(namer, readPath("/a.test"));
    opened.push(pong, none, aOnly);
    await waitFor("bound", () => pong.addr.kind === "bound" && none.tree === "neg" && aOnly.tree === "neg");
    assert.equal(pong.tree, `/#/io.l5d.dnssrv/${PONG} (residual /v1)`);
    assert.deepEqual(pong.addrs, ["127.0.0.1:8002", "127.0.0.2:8003"]);
    const state = namer.state() as { records: Record<string, { state: string; why?: string }> };
    assert.equal(state.records["_http._tcp.none.test"]?.why, "no such name (NXDOMAIN)");
    assert.equal(state.records["a.test"]?.why, "no SRV records");
  });
});

describe("io.l5d.dnssrv in trellis proxy", { skip }, () => {
  const dir = tempDir("trellis-dnssrv-e2e-");
  let dns: Dnsmasq;
  let a: Backend;
  let b: Backend;
  let proxy: ProxyProcess;
  after(async () => {
    await proxy?.stop();
    await dns?.cleanup();
    await a?.close();
    await b?.close();
    dir.cleanup();
  });

  const records = (port: number) => ({
    srv: [{ name: PONG, target: "pong-1.test", port }],
    hosts: { "pong-1.test": ["127.0.0.1"] },
  });
  const pong = () => send(proxy.port("out"), { headers: { Host: "pong" } });

  async function routesTo(name: string, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await pong();
      if (r.status === 200 && r.text === name) return;
      assert.ok(Date.now() < deadline, `${what}: still ${r.status} ${r.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("routes to the SRV target, follows a change, keeps it while DNS is down, and gives 502 once it is gone", async () => {
    a = await Backend.start("A");
    b = await Backend.start("B");
    dns = await Dnsmasq.start(records(a.port));
    proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
namers:
- kind: io.l5d.dnssrv
  experimental: true
  refreshIntervalSeconds: 1
  dnsHosts: [${dns.address}]
routers:
- protocol: http
  label: out
  dtab: |
    /svc => /#/io.l5d.dnssrv;
    /svc/pong => /#/io.l5d.dnssrv/${PONG};
  servers: [{port: 0}]
`,
    );
    const first = await pong();
    assert.equal(first.status, 200);
    assert.equal(first.text, "A");
    assert.equal(a.last.headers["l5d-dst-client"], `/#/io.l5d.dnssrv/${PONG}`);

    await dns.setRecords(records(b.port));
    await routesTo("B", "the changed SRV record did not reach routing");

    await dns.stop();
    let answered = 0;
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      const r = await pong();
      assert.equal(r.status, 200, `while DNS is down: ${r.status} ${r.text}`);
      assert.equal(r.text, "B");
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(answered > 10);
    const state = JSON.parse((await adminGet(proxy.admin, "/namer_state/io.l5d.dnssrv.json")).text) as {
      records: Record<string, { state: string; addrs?: unknown[]; lastError?: string }>;
    };
    assert.equal(state.records[PONG]?.state, "bound");
    assert.match(state.records[PONG]?.lastError ?? "", /ECONNREFUSED|ETIMEOUT/);

    await dns.setRecords({});
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await pong();
      if (r.status === 502) {
        assert.match(l5dErr(r.headers["l5d-err"]) ?? "", /\/svc\/pong/);
        break;
      }
      assert.ok(Date.now() < deadline, `the removed record still routes: ${r.status} ${r.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const m = await metrics(proxy.admin);
    assert.ok((m["namer/io.l5d.dnssrv/dnssrv/lookup_successes_total"] ?? 0) >= 2);
    assert.ok((m["namer/io.l5d.dnssrv/dnssrv/lookup_failures_total"] ?? 0) >= 1);
  });

  it("is refused without experimental: true, as in Linkerd", async () => {
    const file = writeConfig(
      dir.path,
      `namers:
- kind: io.l5d.dnssrv
  dnsHosts: [127.0.0.1:53]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.dnssrv;
  servers: [{port: 0}]
`,
    );
    const r = await runTrellis(["proxy", file], { killWhen: /listening/ });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /namers\[0\].*io\.l5d\.dnssrv is experimental: set experimental: true/);
  });
});
