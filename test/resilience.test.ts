// Resilience of `trellis proxy` with real backends: a replica killed or slowed under load, every replica failing,
// timeouts and deadlines, load shedding, retries of requests with bodies, Linkerd's response headers.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  Backend,
  killAll,
  l5dErr,
  metrics,
  runTrellis,
  send,
  startProxyWith,
  tempDir,
  writeConfig,
} from "./support/proxy-harness.ts";
import { during, Load, percentile, Replica, type Sample, sleep } from "./support/replicas.ts";

const dir = tempDir("trellis-resilience-");
const replicas: Replica[] = [];
const backends: Backend[] = [];

after(async () => {
  await killAll();
  for (const r of replicas) r.stop();
  await Promise.all(backends.map((b) => b.close()));
  dir.cleanup();
});

async function startReplicas(...names: string[]): Promise<Replica[]> {
  const started = await Promise.all(names.map((n) => Replica.start(n)));
  replicas.push(...started);
  return started;
}

/** A proxy whose router `out` sends `/svc/web` to the replicas listed in an io.l5d.fs file, with `extra` router keys. */
async function proxyFor(web: readonly { port: number }[], extra = "", name = `web-${Date.now()}`) {
  const disco = join(dir.path, name);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(disco, { recursive: true });
  writeFileSync(join(disco, "web"), web.map((r) => `127.0.0.1 ${r.port}`).join("\n"));
  return startProxyWith(
    dir.path,
    `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
routers:
- protocol: http
  label: out
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
${extra}`,
  );
}

function failures(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.status !== 200);
}

function share(samples: readonly Sample[], body: string): number {
  return samples.filter((s) => s.body === body).length / Math.max(1, samples.length);
}

const CLIENT = "rt/out/client/#/io.l5d.fs/web";
const SERVICE = "rt/out/service/svc/web";

describe("a replica killed under load", () => {
  it("fails no more requests than it had in flight, then none; it is marked dead, probed and revived", async () => {
    const [a, b, c] = (await startReplicas("A", "B", "C")) as [Replica, Replica, Replica];
    await Promise.all([a, b, c].map((r) => r.set({ delay: 20 })));
    const proxy = await proxyFor(
      [a, b, c],
      `  client:
    failureAccrual:
      kind: io.l5d.consecutiveFailures
      failures: 5
      backoff: {kind: constant, ms: 1000}
`,
    );
    const load = new Load({ port: proxy.port("out"), host: "web", concurrency: 12 });
    await sleep(1500);
    const killedAt = performance.now();
    const inFlight = await a.kill();
    await sleep(2500);
    const samples = await load.stop();
    const failed = failures(samples);
    const late = failures(during(samples, killedAt + 1000));
    assert.ok(
      failed.length <= inFlight,
      `${failed.length} failures (${failed.map((s) => `${s.status} ${s.err ?? ""}`).join(" | ")}), ${inFlight} in flight at the kill`,
    );
    assert.equal(late.length, 0, "no failures a second after the kill");
    assert.equal(share(during(samples, killedAt + 200), "A"), 0);
    const m = await metrics(proxy.admin);
    assert.ok((m[`${CLIENT}/failure_accrual/removals`] ?? 0) >= 1, "the dead replica was removed");
    assert.ok((m[`${CLIENT}/retries/requeues`] ?? 0) >= 1, "connection failures were requeued");
    console.log(
      `killed replica: ${samples.length} requests, ${failed.length} failed, ${inFlight} in flight at the kill, ` +
        `${m[`${CLIENT}/retries/requeues`]} requeues`,
    );

    // The replica comes back on its port: after the backoff a probe finds it and it takes traffic again.
    const back = await Replica.start("A", a.port);
    replicas.push(back);
    const again = new Load({ port: proxy.port("out"), host: "web", concurrency: 4 });
    await sleep(2500);
    const after = await again.stop();
    assert.equal(failures(after).length, 0);
    const m2 = await metrics(proxy.admin);
    assert.ok((m2[`${CLIENT}/failure_accrual/revivals`] ?? 0) >= 1, "revived after a good probe");
    assert.ok(
      share(during(after, after[0]!.start + 1500), "A") > 0.1,
      "the revived replica has its share again",
    );
    await proxy.stop();
  });
});

describe("a replica slowed by 500 ms", () => {
  for (const balancer of ["p2c", "ewma"]) {
    it(`loses its share of traffic and p99 recovers (${balancer})`, async () => {
      const [a, b, c] = (await startReplicas("A", "B", "C")) as [Replica, Replica, Replica];
      await Promise.all([a, b, c].map((r) => r.set({ delay: 2 })));
      const proxy = await proxyFor([a, b, c], `  client: {loadBalancer: {kind: ${balancer}}}\n`);
      const load = new Load({ port: proxy.port("out"), host: "web", concurrency: 8 });
      await sleep(1000);
      const before = share(during(load.samples, 0), "B");
      const slowedAt = performance.now();
      await b.set({ delay: 502 });
      await sleep(4000);
      const samples = await load.stop();
      const settled = during(samples, slowedAt + 1500);
      const bShare = share(settled, "B");
      const p99 = percentile(settled, 99);
      console.log(
        `${balancer}: B's share ${(before * 100).toFixed(1)}% before, ${(bShare * 100).toFixed(2)}% once slow; ` +
          `p99 ${percentile(during(samples, slowedAt, slowedAt + 1500), 99).toFixed(0)} ms in the first 1.5 s, ` +
          `${p99.toFixed(0)} ms after (${settled.length} requests)`,
      );
      assert.equal(failures(samples).length, 0);
      assert.ok(before > 0.2, `B had its share before: ${before}`);
      assert.ok(bShare < 0.01, `B's share fell to ${bShare}`);
      assert.ok(p99 < 200, `p99 ${p99} ms once B is avoided`);
      await proxy.stop();
      for (const r of [a, b, c]) r.stop();
    });
  }
});

describe("every replica answering 503", () => {
  it("retries within the budget (20% plus 10 per second) and still answers every request from a replica", async () => {
    const rs = await startReplicas("A", "B", "C");
    await Promise.all(rs.map((r) => r.set({ status: 503 })));
    const proxy = await proxyFor(
      rs,
      `  service: {responseClassifier: {kind: io.l5d.http.retryableRead5XX}}\n`,
    );
    const t0 = performance.now();
    const load = new Load({ port: proxy.port("out"), host: "web", concurrency: 4 });
    await sleep(4000);
    const samples = await load.stop();
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(rs.map((r) => r.counted()));
    const reached = rs.reduce((n, r) => n + r.arrived, 0);
    const retries = reached - samples.length;
    const bound = 0.2 * samples.length + 10 * (seconds + 10);
    console.log(
      `all 503: ${samples.length} requests, ${reached} reached the replicas: amplification ` +
        `${(reached / samples.length).toFixed(3)}x over ${seconds.toFixed(1)} s (bound ${((samples.length + bound) / samples.length).toFixed(3)}x)`,
    );
    assert.ok(retries <= bound, `${retries} retries, budget allows ${bound}`);
    assert.ok(retries >= 0.2 * samples.length * 0.9, `${retries} retries: the budget is used`);
    assert.ok(
      samples.every((s) => s.status === 503 && s.err === undefined),
      "every answer is a replica's 503, even with every replica marked dead",
    );
    const m = await metrics(proxy.admin);
    assert.equal(m[`${SERVICE}/retries/total`], retries);
    assert.ok((m[`${SERVICE}/retries/budget_exhausted`] ?? 0) > 0);
    assert.ok((m[`${CLIENT}/failure_accrual/removals`] ?? 0) >= 3);
    assert.equal(m[`${CLIENT}/requests`], reached);
    await proxy.stop();
  });
});

/** Sends one GET through `port` for `host` and times it. */
async function timed(port: number, host: string, headers: Record<string, string> = {}) {
  const start = performance.now();
  const r = await send(port, { headers: { Host: host, ...headers } });
  return { ...r, ms: performance.now() - start };
}

describe("timeouts and deadlines", () => {
  it("totalTimeoutMs, requestAttemptTimeoutMs and l5d-ctx-deadline are kept to within 50 ms", async () => {
    const [slow, slower] = (await startReplicas("slow", "slower")) as [Replica, Replica];
    await slow.set({ delay: 1000 });
    await slower.set({ delay: 1000 });
    const fast = await Backend.start("fast");
    backends.push(fast);
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: |
    /svc/total   => /$/inet/127.1/${slow.port};
    /svc/attempt => /$/inet/127.1/${slower.port};
    /svc/slow    => /$/inet/127.1/${slow.port};
    /svc/fast    => /$/inet/127.1/${fast.port};
  servers: [{port: 0}]
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/total
      totalTimeoutMs: 300
    - prefix: /svc/attempt
      totalTimeoutMs: 450
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    - prefix: /svc/fast
      totalTimeoutMs: 5000
  client:
    kind: io.l5d.static
    configs:
    - prefix: /$/inet/*/${slower.port}
      requestAttemptTimeoutMs: 100
`,
    );
    const port = proxy.port("out");
    const total = await timed(port, "total");
    assert.equal(total.status, 503);
    assert.ok(total.ms >= 295 && total.ms <= 350, `answered after ${total.ms} ms`);
    assert.match(l5dErr(total.headers["l5d-err"]) ?? "", /exceeded 300\.milliseconds/);
    // Attempts of 100 ms each (the client config matches that replica), retried until totalTimeoutMs 450.
    await slower.counted();
    const before = slower.arrived;
    const attempt = await timed(port, "attempt");
    assert.equal(attempt.status, 503);
    assert.ok(attempt.ms >= 400 && attempt.ms <= 500, `answered after ${attempt.ms} ms`);
    await slower.counted();
    assert.ok(slower.arrived - before >= 3, `${slower.arrived - before} attempts`);
    assert.match(l5dErr(attempt.headers["l5d-err"]) ?? "", /exceeded 450\.milliseconds|individual request/);

    // A deadline already passed: answered at once, nothing sent upstream.
    await slow.counted();
    const now = Date.now();
    const arrived = slow.arrived;
    const past = await timed(port, "slow", { "l5d-ctx-deadline": `${now - 1000}000000 ${now - 10}000000` });
    assert.equal(past.status, 503);
    assert.ok(past.ms < 50, `answered after ${past.ms} ms`);
    assert.match(l5dErr(past.headers["l5d-err"]) ?? "", /deadline/);
    // A deadline 250 ms ahead is passed on, no later (totalTimeoutMs 5000 of /svc/fast is later).
    const ahead = await timed(port, "fast", { "l5d-ctx-deadline": `${now}000000 ${Date.now() + 250}000000` });
    assert.equal(ahead.status, 200);
    const sent = fast.last.headers["l5d-ctx-deadline"] as string;
    const [, deadlineNs] = sent.split(" ") as [string, string];
    const sentDeadline = Number(deadlineNs.slice(0, -6));
    assert.ok(sentDeadline <= Date.now() + 250, "the deadline passed on is no later than the one received");
    assert.ok(sentDeadline > Date.now(), "and still ahead");
    await slow.counted();
    assert.equal(slow.arrived, arrived, "the expired request never reached the replica");
    const m = await metrics(proxy.admin);
    assert.equal(m["rt/out/service/svc/slow/admission_control/deadline/rejected"], 1);
    await proxy.stop();
  });

  it("answers when the request's own deadline passes, within 50 ms", async () => {
    const [slow] = (await startReplicas("slow2")) as [Replica];
    await slow.set({ delay: 1000 });
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: /svc/slow => /$/inet/127.1/${slow.port};
  servers: [{port: 0}]
`,
    );
    for (const ahead of [150, 300]) {
      const now = Date.now();
      const r = await timed(proxy.port("out"), "slow", {
        "l5d-ctx-deadline": `${now}000000 ${now + ahead}000000`,
      });
      assert.equal(r.status, 503);
      assert.ok(r.ms >= ahead - 10 && r.ms <= ahead + 50, `deadline ${ahead} ms: answered after ${r.ms} ms`);
    }
    await proxy.stop();
  });
});

describe("load shedding", () => {
  it("maxConcurrentRequests: the excess is answered 503 at once, the rest served", async () => {
    const [r] = (await startReplicas("shed")) as [Replica];
    await r.set({ delay: 300 });
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: /svc/web => /$/inet/127.1/${r.port};
  servers: [{port: 0, maxConcurrentRequests: 2}]
`,
    );
    const all = await Promise.all(Array.from({ length: 6 }, () => timed(proxy.port("out"), "web")));
    const refused = all.filter((x) => x.status === 503);
    assert.equal(all.filter((x) => x.status === 200).length, 2);
    assert.equal(refused.length, 4);
    for (const x of refused) assert.ok(x.ms < 150, `refused after ${x.ms} ms`);
    await proxy.stop();
  });

  it("hostConnectionPool: requests beyond maxSize wait, beyond maxWaiters are refused with 503", async () => {
    const [r] = (await startReplicas("pool")) as [Replica];
    await r.set({ delay: 200 });
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: /svc/web => /$/inet/127.1/${r.port};
  servers: [{port: 0}]
  client:
    hostConnectionPool: {maxSize: 1, maxWaiters: 1}
`,
    );
    const all = await Promise.all(Array.from({ length: 4 }, () => timed(proxy.port("out"), "web")));
    const ok = all.filter((x) => x.status === 200).sort((x, y) => x.ms - y.ms);
    const refused = all.filter((x) => x.status === 503);
    assert.equal(ok.length, 2, all.map((x) => `${x.status} ${x.ms}`).join(", "));
    assert.equal(refused.length, 2);
    assert.ok((ok[1]?.ms ?? 0) >= 380, "the second waited for the first's connection");
    for (const x of refused) assert.ok(x.ms < 150, `refused after ${x.ms} ms`);
    const m = await metrics(proxy.admin);
    const client = `rt/out/client/$/inet/127.1/${r.port}`;
    assert.equal(m[`${client}/pool_num_too_many_waiters`], 2);
    assert.equal(m[`${client}/pool_num_waited`], 1);
    assert.equal(m[`${client}/pool_size`], 1);
    await proxy.stop();
  });
});

describe("retries of requests with bodies, and Linkerd's response headers", () => {
  it("replays a body that fits retryBufferSize, never one that does not", async () => {
    let calls = 0;
    const flaky = await Backend.start("flaky", {
      onBody: (_req, res, rec) => {
        calls++;
        res.statusCode = calls % 2 === 1 ? 503 : 200;
        res.end(`${rec.bodyBytes} ${rec.sha256}`);
      },
    });
    backends.push(flaky);
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: /svc/web => /$/inet/127.1/${flaky.port};
  servers: [{port: 0}]
  service:
    responseClassifier: {kind: io.l5d.http.retryableAll5XX}
    retryBufferSize: {requestBytes: 1000}
`,
    );
    const small = "s".repeat(1000);
    const r1 = await send(proxy.port("out"), { method: "POST", headers: { Host: "web" }, body: small });
    assert.equal(r1.status, 200, "retried after the 503");
    assert.equal(calls, 2);
    assert.equal(flaky.last.body.toString(), small, "the whole body, again");
    assert.equal(r1.headers["l5d-success-class"], "1.0");
    calls = 0;
    const chunked = await send(proxy.port("out"), {
      method: "POST",
      headers: [
        ["Host", "web"],
        ["Transfer-Encoding", "chunked"],
      ],
      body: "hello", // node's client frames it as chunks
    });
    assert.equal(chunked.status, 200, "a chunked body that fits is retried too");
    assert.equal(flaky.last.body.toString(), "hello");
    calls = 0;
    const big = "b".repeat(1001);
    const r2 = await send(proxy.port("out"), { method: "POST", headers: { Host: "web" }, body: big });
    assert.equal(r2.status, 503, "not retried: the body was longer than the buffer");
    assert.equal(calls, 1);
    assert.equal(r2.headers["l5d-success-class"], "0.0");
    await proxy.stop();
  });

  it("retries a non-retryable 5XX that says l5d-retryable: true, and classifies with allSuccessful", async () => {
    const [r] = (await startReplicas("r")) as [Replica];
    await r.set({ status: 502, retryable: true });
    const proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: out
  dtab: |
    /svc/web => /$/inet/127.1/${r.port};
    /svc/ok  => /$/inet/127.1/${r.port};
  servers: [{port: 0}]
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/ok
      responseClassifier: {kind: io.l5d.http.allSuccessful}
`,
    );
    await r.counted();
    const before = r.arrived;
    const res = await send(proxy.port("out"), { method: "POST", headers: { Host: "web" }, body: "x" });
    assert.equal(res.status, 502);
    await r.counted();
    assert.ok(r.arrived - before > 1, "retried under the default classifier because of l5d-retryable");
    const ok = await send(proxy.port("out"), { headers: { Host: "ok" } });
    assert.equal(ok.status, 502);
    assert.equal(ok.headers["l5d-success-class"], "1.0");
    const m = await metrics(proxy.admin);
    assert.equal(m["rt/out/service/svc/ok/success"], 1, "allSuccessful counts a 502 as a success");
    await proxy.stop();
  });
});

describe("config", () => {
  it("refuses a bad service or client block with the key path", async () => {
    const file = writeConfig(
      dir.path,
      `routers:
- protocol: http
  servers: [{port: 0}]
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/{a
      retries: {budget: {percentCanRetry: 2000}}
  client:
    loadBalancer: {kind: fastest}
    failureAccrual: {kind: io.l5d.successRate, successRate: 0.9}
`,
    );
    const r = await runTrellis(["proxy", file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /routers\[0\]\.service\.configs\[0\]\.prefix: invalid prefix/);
    assert.match(
      r.stderr,
      /routers\[0\]\.service\.configs\[0\]\.retries\.budget\.percentCanRetry: expected a number from 0 to 1000/,
    );
    assert.match(r.stderr, /routers\[0\]\.client\.loadBalancer\.kind: unknown load balancer kind "fastest"/);
    assert.match(r.stderr, /routers\[0\]\.client\.failureAccrual\.requests: missing/);
  });
});
