// Tests of the upstream side: what the parser keeps of a read, and pooled connections sharing one read buffer.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { Http1Parser } from "./llhttp.ts";
import { ConnectionPool, type ResponseHandler, type UpstreamFailure } from "./upstream.ts";

describe("the response parser", () => {
  test("keeps nothing of the buffer it read: header text and body pieces survive the buffer being overwritten", () => {
    const body: Buffer[] = [];
    let header: string | undefined;
    const p = new Http1Parser("response", 65536, {
      onHead: (h) => {
        header = h.raw[1];
        return false;
      },
      onBody: (c) => body.push(c),
      onComplete: () => {},
    });
    const buf = Buffer.from("HTTP/1.1 200 OK\r\nX-Tag: abcdef\r\nContent-Length: 5\r\n\r\nhel");
    p.execute(buf);
    buf.fill(0x41);
    const rest = Buffer.from("lo");
    p.execute(rest);
    rest.fill(0x42);
    assert.equal(header, "abcdef");
    assert.equal(Buffer.concat(body).toString(), "hello");
  });
});

describe("the response parser, for a body that runs to the end of the connection", () => {
  test("completes it on finish, and may be closed from its own completion callback", () => {
    const body: Buffer[] = [];
    let completed = 0;
    const p: Http1Parser = new Http1Parser("response", 65536, {
      onHead: () => false,
      onBody: (c) => body.push(c),
      onComplete: () => {
        completed++;
        // What the connection does once the exchange is over: frees the parser, still inside finish().
        p.close();
      },
    });
    p.execute(Buffer.from("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello "));
    p.execute(Buffer.from("until close"));
    assert.equal(completed, 0, "not complete before the end of the connection");
    p.finish();
    assert.equal(completed, 1);
    assert.equal(Buffer.concat(body).toString(), "hello until close");
    p.execute(Buffer.from("HTTP/1.1 200 OK\r\n\r\n"));
    p.finish();
    assert.equal(completed, 1, "a closed parser reads nothing more");
  });
});

describe("ConnectionPool", () => {
  // Answers `GET /<n>` with n pseudo-random bytes, written in pieces of varying size, so that the reads of
  // several connections interleave in the pool's one read buffer.
  const bodies = new Map<number, Buffer>();
  let server: Server;
  let port = 0;

  before(async () => {
    server = createServer((socket) => {
      let pending = "";
      socket.on("data", (d) => {
        pending += d.toString("latin1");
        for (;;) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) return;
          const n = Number(/^GET \/(\d+)/.exec(pending)?.[1]);
          pending = pending.slice(end + 4);
          const body = bodies.get(n) ?? Buffer.alloc(0);
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
          for (let at = 0, step = 1; at < body.length; at += step, step = (step * 7 + 13) % 70_000 || 1)
            socket.write(body.subarray(at, at + step));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const options = {
    maxIdle: 8,
    idleTimeMs: 10_000,
    minIdle: 0,
    maxSize: 8,
    maxWaiters: 8,
    lifeTimeMs: undefined,
    maxHeaderBytes: 65536,
  };

  /** One exchange on a pooled connection: the hash of its body pieces, kept until the end, or the failure. */
  function fetch(pool: ConnectionPool, n: number): Promise<string> {
    const up = pool.acquire();
    assert.ok(up !== undefined);
    return new Promise((resolve, reject) => {
      // Hashed only at the end: a piece that still pointed into the read buffer would have changed by then.
      const pieces: Buffer[] = [];
      const handler: ResponseHandler = {
        onHead: () => {},
        onBody: (c) => pieces.push(c),
        onReadEnd: () => {},
        onComplete: () => {
          pool.release(up);
          resolve(createHash("sha256").update(Buffer.concat(pieces)).digest("hex"));
        },
        onError: (e: UpstreamFailure) => reject(e),
      };
      up.send("GET", `GET /${n} HTTP/1.1\r\nHost: test\r\n\r\n`, handler);
    });
  }

  test("several connections reading at once each get exactly their own bytes", async () => {
    const sizes = [1, 4096, 65_536, 65_537, 1_000_000, 3_000_000];
    for (const n of sizes) bodies.set(n, randomBytes(n));
    const pool = new ConnectionPool("127.0.0.1", port, options);
    try {
      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(sizes.map((n) => fetch(pool, n)));
        const want = sizes.map((n) =>
          createHash("sha256")
            .update(bodies.get(n) as Buffer)
            .digest("hex"),
        );
        assert.deepEqual(got, want, `round ${round}`);
      }
    } finally {
      pool.close();
    }
  });
});
