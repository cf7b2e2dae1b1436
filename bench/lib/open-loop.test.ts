// Tests of the open-loop generator's parts: the histogram's error bound and the response parser's framing.
//
//   node --test bench/lib/open-loop.test.ts

import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import { test } from "node:test";
import { Histogram } from "./histogram.ts";
import { type ParsedResponse, ResponseParser } from "./http-response-parser.ts";
import { type OpenLoopWindow, runOpenLoop } from "./open-loop.ts";

test("histogram percentiles are within 1% of the exact ones", () => {
  const values: number[] = [];
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const h = new Histogram();
  for (let i = 0; i < 100_000; i++) {
    // Log-uniform from 1 µs to 10 s, in ns.
    const v = Math.round(1000 * 10 ** (rnd() * 7));
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [1, 10, 50, 90, 99, 99.9, 99.99]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1] as number;
    const got = h.percentileNs(p);
    assert.ok(Math.abs(got - exact) / exact <= 0.01, `p${p}: ${got} vs ${exact}`);
  }
  assert.equal(h.maxNs, values.at(-1));
  assert.equal(h.percentileNs(100), values.at(-1));
  const copy = Histogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
  assert.equal(copy.percentileNs(99), h.percentileNs(99));
  assert.equal(copy.count, h.count);
});

test("histogram small values are exact", () => {
  const h = new Histogram();
  for (const v of [0, 1, 7, 255]) h.record(v);
  assert.equal(h.percentileNs(25), 0);
  assert.equal(h.percentileNs(50), 1);
  assert.equal(h.percentileNs(75), 7);
  assert.equal(h.percentileNs(100), 255);
});

function parseAll(chunks: readonly string[], split = 1): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  const p = new ResponseParser((r) => out.push(r));
  const all = Buffer.from(chunks.join(""), "latin1");
  for (let i = 0; i < all.length; i += split) p.feed(all.subarray(i, i + split));
  return out;
}

test("parser frames Content-Length, chunked, 204 and interim responses in any split", () => {
  const stream = [
    "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n\n\r\n0\r\nT: 1\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 503 Busy\r\ncontent-length: 0\r\nConnection: close\r\n\r\n",
  ];
  for (const split of [1, 2, 3, 7, 1000]) {
    const r = parseAll(stream, split);
    assert.deepEqual(
      r.map((x) => [x.status, x.close]),
      [
        [200, false],
        [200, false],
        [204, false],
        [503, true],
      ],
      `split ${split}`,
    );
  }
});

test("parser ends a body without length at the close, and rejects garbage", () => {
  const out: ParsedResponse[] = [];
  const p = new ResponseParser((r) => out.push(r));
  p.feed(Buffer.from("HTTP/1.0 200 OK\r\n\r\nsome body"));
  assert.equal(out.length, 0);
  p.end();
  assert.deepEqual(out, [{ status: 200, close: true }]);
  assert.throws(() => new ResponseParser(() => {}).feed(Buffer.from("SMTP ready\r\n\r\n")));
  assert.throws(() =>
    new ResponseParser(() => {}).feed(
      Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    ),
  );
});

test("open loop keeps the rate, rotates Host names and counts error statuses", async () => {
  const seen = new Set<string>();
  let n = 0;
  const server = createServer((req, res) => {
    seen.add(req.headers.host ?? "");
    // Every 10th response is chunked, every 50th a 500.
    n++;
    if (n % 50 === 0) res.writeHead(500, { "content-length": "0" }).end();
    else if (n % 10 === 0) res.writeHead(200).end("chunked body");
    else res.writeHead(200, { "content-length": "2" }).end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await runOpenLoop({
      host: "127.0.0.1",
      port,
      rate: 500,
      durationS: 1,
      warmupS: 0.2,
      connections: 4,
      hosts: ["a", "b", "c"],
      path: "/",
      windowS: 0.5,
      drainMs: 2000,
    });
    assert.equal(r.scheduled, 500);
    assert.equal(r.completed, 500);
    assert.equal(r.errors.unfinished + r.errors.connection + r.errors.parse, 0);
    assert.equal(r.errors.status, 10);
    assert.deepEqual([...seen].sort(), ["a", "b", "c"]);
    assert.equal(r.windows.length, 2);
    assert.ok(r.latency.p50Us > 0 && r.latency.p50Us < 50_000);
  } finally {
    server.close();
  }
});

/** A local server whose n-th request (1-based, in arrival order) `answer` handles; it defaults to an "ok". */
async function server(
  answer: (n: number, res: ServerResponse) => boolean,
): Promise<{ port: number; close: () => void }> {
  let n = 0;
  const s = createServer((_req, res) => {
    n++;
    if (!answer(n, res)) res.writeHead(200, { "content-length": "2" }).end("ok");
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return {
    port: (s.address() as { port: number }).port,
    close: () => {
      s.closeAllConnections();
      s.close();
    },
  };
}

const base = { host: "127.0.0.1", hosts: ["a"], path: "/" } as const;

test("open loop reports each window as it closes, in order", async () => {
  const srv = await server(() => false);
  const events: string[] = [];
  const windows: OpenLoopWindow[] = [];
  const reportedAt: number[] = [];
  try {
    const t0 = performance.now();
    const r = await runOpenLoop({
      ...base,
      port: srv.port,
      rate: 400,
      durationS: 1,
      warmupS: 0.2,
      connections: 4,
      windowS: 0.25,
      drainMs: 2000,
      onStart: (count) => events.push(`start ${count}`),
      onWindow: (w) => {
        events.push(`window ${w.index}`);
        windows.push(w);
        reportedAt.push(performance.now() - t0);
      },
    });
    assert.deepEqual(events, ["start 4", "window 0", "window 1", "window 2", "window 3"]);
    for (const w of windows) {
      assert.equal(w.scheduled, 100);
      assert.equal(w.good, 100);
      assert.equal(w.bad, 0);
      assert.deepEqual(w.failed, { connection: 0, timeout: 0, unfinished: 0 });
      assert.equal(w.histogram.count, 100);
      assert.equal(w.sendLag.count, 100);
    }
    // Window 0 closes about 0.45 s after the start, window 3 about 1.2 s: each came as it closed.
    assert.ok((reportedAt[3] as number) - (reportedAt[0] as number) > 500, `reported at ${reportedAt}`);
    assert.deepEqual(
      r.windows,
      windows.map((w) => w.latency),
    );
    assert.equal(r.completed, 400);
    assert.equal(r.sent, 480);
    assert.equal(r.late, 0);
  } finally {
    srv.close();
  }
});

test("open loop times out a stuck request, reopens its connection, and counts late answers", async () => {
  // Requests 50 and 250 are never answered; 190 is answered after 300 ms: within the timeout, but after its
  // window (the first second) has been closed at the end of its grace.
  const srv = await server((n, res) => {
    if (n === 50 || n === 250) return true;
    if (n === 190) {
      setTimeout(() => res.writeHead(200, { "content-length": "2" }).end("ok"), 300);
      return true;
    }
    return false;
  });
  const windows: OpenLoopWindow[] = [];
  try {
    const r = await runOpenLoop({
      ...base,
      port: srv.port,
      rate: 200,
      durationS: 2,
      warmupS: 0,
      connections: 4,
      windowS: 1,
      drainMs: 5000,
      requestTimeoutMs: 500,
      windowGraceMs: 100,
      onWindow: (w) => windows.push(w),
    });
    assert.deepEqual(
      windows.map((w) => [w.index, w.scheduled, w.good, w.failed.timeout, w.failed.unfinished]),
      [
        [0, 200, 198, 1, 1],
        [1, 200, 199, 1, 0],
      ],
    );
    assert.equal(r.errors.timeout, 2);
    assert.equal(r.errors.unfinished, 1);
    assert.equal(r.errors.connection, 0);
    assert.equal(r.completed, 397);
    assert.equal(r.late, 1);
    // Each timed-out connection was closed and opened again.
    assert.equal(r.reconnects, 2);
    assert.equal(
      windows.reduce((s, w) => s + w.reconnects, 0),
      2,
    );
  } finally {
    srv.close();
  }
});
