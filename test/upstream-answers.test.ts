// Property test of `trellis proxy` against an upstream that answers anything: framings, cuts, closes and resets.

import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  killAll,
  type ProxyProcess,
  RawConnection,
  startProxyWith,
  tempDir,
} from "./support/proxy-harness.ts";

/** One answer of the upstream, as bytes on the wire and how it ends. */
interface Answer {
  readonly version: "1.0" | "1.1";
  readonly status: number;
  /** How the body is delimited: Content-Length, chunked, or the end of the connection. */
  readonly framing: "length" | "chunked" | "close";
  /** The body: text, or that many bytes of a pattern (kept as a number so that a counterexample stays short). */
  readonly body: string | number;
  /** Where the bytes stop short: nowhere, inside the head, or inside the body. */
  readonly cut: "none" | "head" | "body";
  /** Where inside the head or body the cut falls, as a fraction. */
  readonly cutAt: number;
  /** What the upstream does after writing: keeps the connection open, closes it, or resets it. */
  readonly end: "keep" | "close" | "reset";
  /** Whether the bytes go out in two writes some milliseconds apart. */
  readonly split: boolean;
}

const STATUSES = [200, 201, 204, 301, 304, 400, 404, 418, 500, 503, 599];

const answers: fc.Arbitrary<Answer> = fc
  .record({
    version: fc.constantFrom<Answer["version"]>("1.0", "1.1"),
    status: fc.constantFrom(...STATUSES),
    framing: fc.constantFrom<Answer["framing"]>("length", "chunked", "close"),
    body: fc.oneof(fc.constant(""), fc.string({ maxLength: 40 }), fc.constantFrom(4096, 70_000)),
    cut: fc.constantFrom<Answer["cut"]>("none", "none", "head", "body"),
    cutAt: fc.double({ min: 0, max: 0.99, noNaN: true }),
    end: fc.constantFrom<Answer["end"]>("keep", "close", "reset"),
    split: fc.boolean(),
  })
  // A body that runs to the end of the connection, or bytes cut short, never end while the upstream keeps the
  // connection open: the client would wait for ever, as it would without a proxy.
  .filter((a) => a.end !== "keep" || (a.cut === "none" && a.framing !== "close"));

/** The answer's body text. */
function bodyOf(a: Answer): string {
  if (a.status === 204 || a.status === 304) return "";
  return typeof a.body === "number" ? "0123456789abcdef".repeat(a.body / 16 + 1).slice(0, a.body) : a.body;
}

/** The answer's head and body, as written (before any cut). */
function wire(a: Answer): { head: string; body: string } {
  const bodyless = a.status === 204 || a.status === 304;
  const body = bodyOf(a);
  let head = `HTTP/${a.version} ${a.status} Whatever\r\n`;
  if (a.framing === "length" && !bodyless) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  if (a.framing === "chunked" && !bodyless) head += "Transfer-Encoding: chunked\r\n";
  if (a.framing === "close" || a.end !== "keep") head += "Connection: close\r\n";
  head += "\r\n";
  if (a.framing !== "chunked" || bodyless) return { head, body };
  const n = Buffer.byteLength(body);
  return { head, body: n === 0 ? "0\r\n\r\n" : `${n.toString(16)}\r\n${body}\r\n0\r\n\r\n` };
}

/** The body a client should get for a complete answer; undefined when the answer is not complete. */
function expectedBody(a: Answer): string | undefined {
  if (a.cut !== "none" || a.end === "reset") return undefined;
  return bodyOf(a);
}

describe("trellis proxy against an upstream that answers anything", () => {
  const dir = tempDir();
  let proxy: ProxyProcess;
  let next: Answer | undefined;
  const upstreams = new Set<Socket>();
  const upstream = createServer((socket) => {
    upstreams.add(socket);
    socket.on("close", () => upstreams.delete(socket));
    socket.on("error", () => {});
    let seen = "";
    socket.on("data", (d: Buffer) => {
      seen += d.toString("latin1");
      if (!seen.includes("\r\n\r\n")) return;
      seen = "";
      const a = next;
      next = undefined;
      if (a === undefined) {
        socket.destroy();
        return;
      }
      void answer(socket, a);
    });
  });

  async function answer(socket: Socket, a: Answer): Promise<void> {
    const { head, body } = wire(a);
    let bytes = Buffer.from(head + body, "latin1");
    if (a.cut === "head") bytes = bytes.subarray(0, Math.floor(a.cutAt * head.length));
    if (a.cut === "body")
      bytes = bytes.subarray(0, head.length + Math.floor(a.cutAt * Buffer.byteLength(body)));
    const parts = a.split
      ? [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)]
      : [bytes];
    for (const part of parts) {
      if (socket.destroyed) return;
      socket.write(part);
      if (a.split) await new Promise((r) => setTimeout(r, 3));
    }
    if (a.end === "close") socket.end();
    if (a.end === "reset")
      await new Promise<void>((r) => socket.write("", () => r())).then(() => socket.resetAndDestroy());
  }

  before(async () => {
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    const port = (upstream.address() as AddressInfo).port;
    proxy = await startProxyWith(
      dir.path,
      `admin: {port: 0}
routers:
- protocol: http
  label: any
  dtab: /svc/any => /$/inet/127.1/${port};
  servers: [{port: 0}]
`,
    );
  });
  after(async () => {
    await killAll();
    for (const s of upstreams) s.destroy();
    upstream.close();
    dir.cleanup();
  });

  it("relays every complete answer intact, answers 502 when the head never completes, and never falls over", async () => {
    await fc.assert(
      fc.asyncProperty(answers, fc.constantFrom("GET", "HEAD"), async (a, method) => {
        next = a;
        const c = await RawConnection.open(proxy.port("any"));
        try {
          c.write(`${method} /x HTTP/1.1\r\nHost: any\r\n\r\n`);
          const want = expectedBody(a);
          if (a.cut === "head") {
            const res = await c.readResponse({ head: method === "HEAD", timeoutMs: 5000 });
            assert.equal(res.status, 502, "an upstream whose head never completes is a bad gateway");
          } else if (want !== undefined) {
            const res = await c.readResponse({ head: method === "HEAD", timeoutMs: 5000 });
            assert.equal(res.status, a.status);
            if (method === "GET") {
              assert.equal(res.complete, true, "the whole body arrived");
              assert.equal(res.body.toString("latin1"), Buffer.from(want).toString("latin1"));
            }
          } else {
            // Cut inside the body, or reset: the client gets the status and part of the body, or a 502, or
            // a closed connection; in no case a wait past the timeout.
            try {
              const res = await c.readResponse({ head: method === "HEAD", timeoutMs: 5000 });
              assert.ok(res.status === a.status || res.status === 502, `answered ${res.status}`);
            } catch (e) {
              assert.match((e as Error).message, /connection closed before a response head/);
            }
          }
        } finally {
          c.destroy();
        }
        assert.equal(proxy.child.exitCode, null, `the proxy exited: ${proxy.stderr}`);
        assert.equal(proxy.child.signalCode, null, `the proxy died: ${proxy.stderr}`);
      }),
      { numRuns: 200 },
    );
  });
});
