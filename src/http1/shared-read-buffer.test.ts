// Tests of reading accepted sockets into the shared buffer: switched on the pinned Node, own bytes, pause, end.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Http1Parser } from "./llhttp.ts";
import { readIntoSharedBuffer, SHARED_READ_BUFFER } from "./shared-read-buffer.ts";

/** A server whose accepted sockets read into the shared buffer; each gets the handler `onAccept` gives. */
function listen(onAccept: (socket: Socket, switched: boolean) => void): Promise<Server> {
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const chunks: Buffer[] = [];
    const switched = readIntoSharedBuffer(socket, (data) => {
      assert.equal(data.buffer, SHARED_READ_BUFFER.buffer, "the read is a view of the shared buffer");
      chunks.push(Buffer.from(data));
      socket.emit("test-read", Buffer.concat(chunks));
    });
    onAccept(socket, switched);
    socket.resume();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

describe("the request parser", () => {
  test("keeps nothing of the buffer it read: the target, header text and body pieces survive it being overwritten", () => {
    const body: Buffer[] = [];
    let target: string | undefined;
    let header: string | undefined;
    const p = new Http1Parser("request", 65536, {
      onHead: (h) => {
        target = h.target;
        header = h.raw[3];
        return false;
      },
      onBody: (c) => body.push(c),
      onComplete: () => {},
    });
    const buf = Buffer.from(
      "POST /a/b?c=d HTTP/1.1\r\nHost: x\r\nX-Tag: abcdef\r\nContent-Length: 5\r\n\r\nhel",
    );
    p.execute(buf);
    buf.fill(0x41);
    const rest = Buffer.from("lo");
    p.execute(rest);
    rest.fill(0x42);
    assert.equal(target, "/a/b?c=d");
    assert.equal(header, "abcdef");
    assert.equal(Buffer.concat(body).toString(), "hello");
  });
});

describe("readIntoSharedBuffer", () => {
  const accepted: { socket: Socket; switched: boolean }[] = [];
  let server: Server;

  before(async () => {
    server = await listen((socket, switched) => accepted.push({ socket, switched }));
  });
  after(() => {
    for (const a of accepted) a.socket.destroy();
    server.close();
  });

  async function accept(): Promise<{ client: Socket; socket: Socket; switched: boolean }> {
    const before = accepted.length;
    const client = connect(portOf(server), "127.0.0.1");
    await once(client, "connect");
    while (accepted.length === before) await sleep(5);
    const a = accepted[accepted.length - 1] as { socket: Socket; switched: boolean };
    return { client, ...a };
  }

  /** Resolves with everything `socket` has read once it holds at least `n` bytes. */
  async function readAtLeast(socket: Socket, n: number): Promise<Buffer> {
    for (;;) {
      const [all] = (await once(socket, "test-read")) as [Buffer];
      if (all.length >= n) return all;
    }
  }

  test("switches a socket the server accepted, on the pinned Node", async () => {
    const { client, switched } = await accept();
    client.destroy();
    assert.equal(
      switched,
      true,
      "the accepted socket reads into the shared buffer (a Node upgrade may remove this)",
    );
  });

  test("several sockets sending at once each read exactly their own bytes", async () => {
    const sizes = [1, 65_535, 65_536, 65_537, 1_000_000, 3_000_000];
    const pairs: Awaited<ReturnType<typeof accept>>[] = [];
    for (const _ of sizes) pairs.push(await accept());
    const sent = sizes.map((n) => randomBytes(n));
    const got = await Promise.all(
      pairs.map(async ({ client, socket }, i) => {
        const payload = sent[i] as Buffer;
        const read = readAtLeast(socket, payload.length);
        client.write(payload);
        const all = await read;
        client.destroy();
        return createHash("sha256").update(all).digest("hex");
      }),
    );
    assert.deepEqual(
      got,
      sent.map((b) => createHash("sha256").update(b).digest("hex")),
    );
  });

  test("pause stops reads until resume, and the peer's end still ends and closes the socket", async () => {
    const { client, socket } = await accept();
    client.write("one");
    assert.equal((await readAtLeast(socket, 3)).toString(), "one");
    socket.pause();
    let readWhilePaused = false;
    const watch = () => {
      readWhilePaused = true;
    };
    socket.on("test-read", watch);
    client.write("two");
    await sleep(100);
    socket.off("test-read", watch);
    assert.equal(readWhilePaused, false, "nothing is read while the socket is paused");
    const read = readAtLeast(socket, 6);
    socket.resume();
    assert.equal((await read).toString(), "onetwo");
    const ended = once(socket, "end");
    const closed = once(socket, "close");
    client.end();
    await ended;
    await closed;
  });

  test("leaves a socket that already has its own read buffer alone", async () => {
    const own = Buffer.alloc(16);
    const got: string[] = [];
    const count = accepted.length;
    const client = connect({
      port: portOf(server),
      host: "127.0.0.1",
      onread: {
        buffer: own,
        callback: (n, b) => {
          got.push(Buffer.from(b.subarray(0, n)).toString("latin1"));
          return true;
        },
      },
    });
    await once(client, "connect");
    assert.equal(
      readIntoSharedBuffer(client, () => assert.fail("not this callback")),
      false,
    );
    while (accepted.length === count) await sleep(5);
    const peer = accepted[accepted.length - 1] as { socket: Socket };
    peer.socket.write("hi");
    while (got.length === 0) await sleep(5);
    assert.equal(got.join(""), "hi");
    client.destroy();
  });
});
