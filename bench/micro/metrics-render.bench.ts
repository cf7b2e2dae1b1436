// Micro-benchmark of the metrics: hot-path updates, and render/snapshot time for 1,000 clients × 20 metrics.
//
//   node src/telemetry/render.bench.ts [--clients N] [--runs N]
//
// Each render is run --runs times after a warm-up; the median and the worst are reported, in milliseconds and
// per 1,000 metrics (the aim: under 1 ms per 1,000 metrics, so a scrape each second never stalls the loop).
// Then the same scrapes paced (`paced`, 1 ms slices): the longest synchronous slice is what a request waits.

import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Metrics } from "../../src/telemetry/metrics.ts";
import { paced } from "../../src/telemetry/pace.ts";
import { flatJsonChunks, renderFlatJson } from "../../src/telemetry/render-json.ts";
import { renderJsonTree } from "../../src/telemetry/render-json-tree.ts";
import { prometheusChunks, renderPrometheus } from "../../src/telemetry/render-prometheus.ts";

const { values } = parseArgs({
  options: { clients: { type: "string", default: "1000" }, runs: { type: "string", default: "50" } },
});
const CLIENTS = Number(values.clients);
const RUNS = Number(values.runs);

/** Twenty metrics per client, shaped like Linkerd's: 13 counters, 4 gauges, 3 stats. */
function populate(metrics: Metrics, clients: number): number {
  for (let i = 0; i < clients; i++) {
    const c = metrics.scope(["rt", "http", "client", `$/inet/10.0.${i >> 8}.${i & 255}/8080`]);
    for (const name of ["requests", "success", "connects", "closes", "sent_bytes", "received_bytes"]) {
      c.counter(name).incr(i + 1);
    }
    c.counter("failures").incr(3);
    c.counter(["failures", "com.twitter.finagle.ChannelClosedException"]).incr(3);
    c.counter(["failure_accrual", "removals"]).incr();
    c.counter(["failure_accrual", "revivals"]).incr();
    c.counter(["status", "200"]).incr(i);
    c.counter(["status", "2XX"]).incr(i);
    c.counter(["service", "svc/web", "requests"]).incr(i);
    c.gauge("connections", () => i % 7);
    c.gauge("pool_size", () => 4);
    c.gauge(["loadbalancer", "size"], () => 3);
    c.gauge(["loadbalancer", "available"], () => 3);
    for (const name of ["request_latency_ms", "connect_latency_ms"]) {
      const s = c.stat(name);
      for (let v = 0; v < 50; v++) s.add((v * 37 + i) % 900);
    }
    const s = c.stat(["service", "svc/web", "request_latency_ms"]);
    for (let v = 0; v < 50; v++) s.add((v * 13 + i) % 400);
  }
  return clients * 20;
}

function time(fn: () => unknown): { median: number; max: number; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < 5; i++) bytes = String(fn()).length;
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]!, bytes };
}

function hotPath(): { incrNs: number; addNs: number } {
  const m = new Metrics();
  const counter = m.counter("c");
  const stat = m.stat("s");
  const n = 20_000_000;
  for (let i = 0; i < 1_000_000; i++) {
    counter.incr();
    stat.add(i & 1023);
  }
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) counter.incr();
  const incrNs = Number(process.hrtime.bigint() - t0) / n;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) stat.add(i & 1023);
  const addNs = Number(process.hrtime.bigint() - t0) / n;
  return { incrNs, addNs };
}

const metrics = new Metrics();
const count = populate(metrics, CLIENTS);
metrics.snapshot();
const per1k = (ms: number) => (ms / count) * 1000;
console.log(`node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model}`);
console.log(`${CLIENTS} clients, ${count} metrics; median / worst of ${RUNS} runs`);
for (const [name, fn] of [
  ["metrics.json (flat)", () => renderFlatJson(metrics.root)],
  ["metrics.json?tree=1", () => renderJsonTree(metrics.root)],
  ["metrics.json?pretty=1", () => renderFlatJson(metrics.root, { pretty: true })],
  ["prometheus", () => renderPrometheus(metrics.root)],
  ["snapshot (all stats)", () => metrics.snapshot()],
] as const) {
  const t = time(fn);
  console.log(
    `${name.padEnd(24)} ${t.median.toFixed(2)} ms / ${t.max.toFixed(2)} ms` +
      `  (${per1k(t.median).toFixed(3)} ms per 1,000 metrics)  ${t.bytes} bytes`,
  );
}
/** Renders through `paced`, timing each synchronous slice between two turns of the event loop. */
async function slices(
  chunks: () => Iterable<string>,
): Promise<{ total: number; worst: number; count: number }> {
  let worst = 0;
  let count = 0;
  let total = 0;
  for (let run = 0; run < RUNS; run++) {
    let mark = performance.now();
    const start = mark;
    const pause = async () => {
      const now = performance.now();
      if (run > 4) worst = Math.max(worst, now - mark);
      count++;
      await new Promise((resolve) => setImmediate(resolve));
      mark = performance.now();
    };
    for await (const _ of paced(chunks(), { pause }));
    if (run > 4) worst = Math.max(worst, performance.now() - mark);
    total += performance.now() - start;
  }
  return { total: total / RUNS, worst, count: Math.round(count / RUNS) };
}

for (const [name, chunks] of [
  ["paced metrics.json", () => flatJsonChunks(metrics.root)],
  ["paced prometheus", () => prometheusChunks(metrics.root)],
] as const) {
  const t = await slices(chunks);
  console.log(
    `${name.padEnd(24)} ${t.total.toFixed(2)} ms in ~${t.count + 1} slices, longest slice ${t.worst.toFixed(2)} ms`,
  );
}

const hot = hotPath();
console.log(`counter.incr() ${hot.incrNs.toFixed(1)} ns, stat.add(v) ${hot.addNs.toFixed(1)} ns`);
