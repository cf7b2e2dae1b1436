// Mux sessions over real loopback sockets: the server and the client each talk to a peer that writes and
// expects the spec's bytes (hand-written frames), then to each other with ThriftMux.

import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { field, string, struct } from "../thrift/codec.ts";
import type { MethodSpec } from "../thrift/message.ts";
import { MuxClientSession, MuxClosedError, MuxNackError } from "./client.ts";
import { MuxServer } from "./server.ts";
import { hex } from "./testkit.ts";
import { served, ThriftMuxClient, thriftMuxHandler } from "./thriftmux.ts";

/** Reads exactly what arrives on a socket, on demand. */
class RawPeer {
  readonly socket: Socket;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on("error", () => {});
  }

  /** The next `n` bytes. */
  async read(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.closed) throw new Error(`peer closed with ${this.#buf.length} of ${n} bytes`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** The next whole frame, size prefix included. */
  async frame(): Promise<Buffer> {
    const head = await this.read(4);
    return Buffer.concat([head, await this.read(head.readUInt32BE(0))]);
  }

  async closedNow(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.#waiters.push(r));
  }

  write(spec: string | Buffer): void {
    this.socket.write(typeof spec === "string" ? hex(spec) : spec);
  }
}

async function rawClient(port: number): Promise<RawPeer> {
  const s = connect({ host: "127.0.0.1", port });
  await once(s, "connect");
  return new RawPeer(s);
}

// A one-method test service: `echo(1: EchoReq req)` returns EchoRep, or EchoFailure for "fail".
const EchoReq = struct("EchoReq", { text: field(1, string) });
const EchoRep = struct("EchoRep", { text: field(1, string) });
const EchoFailure = struct("EchoFailure", { reason: field(1, string) });
const echo: MethodSpec<
  { req: { text: string } },
  { success?: { text: string }; failure?: { reason: string } }
> = {
  name: "echo",
  args: struct("echo_args", { req: field(1, EchoReq) }),
  result: struct("echo_result", {
    success: { id: 0, codec: EchoRep, optional: true },
    failure: { id: 1, codec: EchoFailure, optional: true },
  }),
};

const toClose: { close(): unknown }[] = [];
after(async () => {
  for (const c of toClose) await c.close();
});

/** A server whose `echo` answers at once, fails on "fail", and for "wait" holds the call until discarded. */
async function echoServer(): Promise<{ server: MuxServer; port: number; aborted: string[] }> {
  const aborted: string[] = [];
  const server = new MuxServer(
    thriftMuxHandler([
      served(echo, async ({ req }, signal) => {
        if (req.text === "fail") return { failure: { reason: "asked to fail" } };
        if (req.text === "wait") {
          await new Promise<void>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted.push(String((signal.reason as Error).message));
              reject(signal.reason);
            }),
          );
        }
        return { success: { text: req.text.toUpperCase() } };
      }),
    ]),
  );
  const { port } = await server.listen("127.0.0.1", 0);
  toClose.push(server);
  return { server, port, aborted };
}

// The thrift call `echo({text: "hi"})`, seqid 1, by hand: strict header, echo_args {1: EchoReq {1: "hi"}}.
const ECHO_HI_CALL = "80010001 00000004 'echo' 00000001 0c 0001 0b 0001 00000002 'hi' 00 00";
const ECHO_HI_REPLY = "80010002 00000004 'echo' 00000001 0c 0000 0b 0001 00000002 'HI' 00 00";

function tdispatch(tag: string, thrift: string): string {
  const body = hex(`0000 0000 0000 ${thrift}`);
  return `${(4 + body.length).toString(16).padStart(8, "0")} 02 ${tag} ${body.toString("hex")}`;
}

function rdispatchOk(tag: string, thrift: string): Buffer {
  const body = hex(`00 0000 ${thrift}`);
  return hex(`${(4 + body.length).toString(16).padStart(8, "0")} fe ${tag} ${body.toString("hex")}`);
}

describe("mux server, driven by a peer writing the spec's bytes", () => {
  test("Finagle's handshake: the Rerr 'tinit check' is echoed, Tinit answered with Rinit and our frame size", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    peer.write("0000000f 7f 000001 'tinit check'");
    assert.deepEqual(await peer.frame(), hex("0000000f 7f 000001 'tinit check'"));
    peer.write("0000001c 44 000001 0001 0000000a 'mux-framer' 00000004 7fffffff");
    // Rinit tag 1, version 1, mux-framer = 16 MiB (0x01000000), the most we accept.
    assert.deepEqual(
      await peer.frame(),
      hex("0000001c bc 000001 0001 0000000a 'mux-framer' 00000004 01000000"),
    );
    peer.write("00000004 41 000001");
    assert.deepEqual(await peer.frame(), hex("00000004 bf 000001"));
    peer.write(tdispatch("000002", ECHO_HI_CALL));
    assert.deepEqual(await peer.frame(), rdispatchOk("000002", ECHO_HI_REPLY));
    peer.socket.destroy();
  });

  test("a client asking for frames of at most 16 bytes gets its reply in fragments (tag top bit set but the last)", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    peer.write("0000000f 7f 000001 'tinit check'");
    await peer.frame();
    peer.write("0000001c 44 000001 0001 0000000a 'mux-framer' 00000004 00000010");
    await peer.frame();
    peer.write(tdispatch("000002", ECHO_HI_CALL));
    const whole = rdispatchOk("000002", ECHO_HI_REPLY);
    const body = whole.subarray(8);
    const fragments: Buffer[] = [];
    for (let at = 0; at < body.length; at += 16) fragments.push(await peer.frame());
    fragments.forEach((f, i) => {
      const last = i === fragments.length - 1;
      assert.equal(f.readUIntBE(5, 3), last ? 0x000002 : 0x800002, `fragment ${i}'s tag`);
      assert.ok(f.length - 8 <= 16);
    });
    assert.deepEqual(Buffer.concat(fragments.map((f) => f.subarray(8))), body);
    peer.socket.destroy();
  });

  test("a client that skips the handshake is served at version 1; a bad version gets Rerr", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    peer.write(tdispatch("000007", ECHO_HI_CALL));
    assert.deepEqual(await peer.frame(), rdispatchOk("000007", ECHO_HI_REPLY));
    const other = await rawClient(port);
    other.write("00000006 44 000001 0002");
    assert.deepEqual(await other.frame(), hex("00000025 7f 000001 'unsupported version 2, expected 1'"));
    peer.socket.destroy();
    other.socket.destroy();
  });

  test("an unknown method is answered with a TApplicationException (type 1), the connection stays up", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    peer.write(tdispatch("000002", "80010001 00000003 'nop' 00000009 00"));
    // TApplicationException {1: message "Invalid method name: 'nop'" (26 bytes), 2: type 1 (UNKNOWN_METHOD)}
    const exc = Buffer.concat([
      hex("80010003 00000003 'nop' 00000009 0b 0001 0000001a"),
      Buffer.from("Invalid method name: 'nop'"),
      hex("08 0002 00000001 00"),
    ]);
    assert.deepEqual(await peer.frame(), rdispatchOk("000002", exc.toString("hex")));
    peer.write("00000004 41 000001");
    assert.deepEqual(await peer.frame(), hex("00000004 bf 000001"));
    peer.socket.destroy();
  });

  test("a fragmented Tdispatch is joined before it is handled", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    const whole = hex(tdispatch("000003", ECHO_HI_CALL));
    const body = whole.subarray(8);
    const first = body.subarray(0, 10);
    const rest = body.subarray(10);
    peer.write(Buffer.concat([hex(`0000000e 02 800003`), first]));
    peer.write(Buffer.concat([hex(`${(4 + rest.length).toString(16).padStart(8, "0")} 02 000003`), rest]));
    assert.deepEqual(await peer.frame(), rdispatchOk("000003", ECHO_HI_REPLY));
    peer.socket.destroy();
  });

  test("Tdiscarded aborts the handler and is acknowledged with Rdiscarded; nothing else is sent for the tag", async () => {
    const { port, aborted } = await echoServer();
    const peer = await rawClient(port);
    peer.write(
      tdispatch("000004", "80010001 00000004 'echo' 00000001 0c 0001 0b 0001 00000004 'wait' 00 00"),
    );
    peer.write("0000000e c2 000000 000004 'give up'");
    assert.deepEqual(await peer.frame(), hex("00000004 be 000004"));
    assert.deepEqual(aborted, ["discarded by the client: give up"]);
    peer.write("00000004 41 000001");
    assert.deepEqual(await peer.frame(), hex("00000004 bf 000001"), "the next frame is the ping's answer");
    peer.socket.destroy();
  });

  test("closing the server sends Tdrain and refuses requests in flight with a Nack", async () => {
    const { server, port } = await echoServer();
    const peer = await rawClient(port);
    peer.write(
      tdispatch("000005", "80010001 00000004 'echo' 00000001 0c 0001 0b 0001 00000004 'wait' 00 00"),
    );
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    assert.deepEqual(await peer.frame(), hex("00000004 40 000001"));
    assert.deepEqual(await peer.frame(), hex("00000007 fe 000005 02 0000"));
    await peer.closedNow();
    await closing;
  });

  test("a malformed frame closes the connection", async () => {
    const { port } = await echoServer();
    const peer = await rawClient(port);
    peer.write("00000002 41 00");
    await peer.closedNow();
  });
});

describe("mux client, against a peer writing the spec's bytes", () => {
  async function rawServer(): Promise<{ port: number; next: () => Promise<RawPeer>; server: Server }> {
    const peers: RawPeer[] = [];
    const waiting: ((p: RawPeer) => void)[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      const p = new RawPeer(s);
      const w = waiting.shift();
      if (w) w(p);
      else peers.push(p);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    toClose.push({
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise((r) => server.close(r));
      },
    });
    const port = (server.address() as { port: number }).port;
    const next = () => {
      const p = peers.shift();
      return p ? Promise.resolve(p) : new Promise<RawPeer>((r) => waiting.push(r));
    };
    return { port, next, server };
  }

  test("handshakes as Finagle does, then sends Tdispatch with tag 2 and no contexts, dst or dtab", async () => {
    const { port, next } = await rawServer();
    const connecting = MuxClientSession.connect("127.0.0.1", port, { pingIntervalMs: 0 });
    const peer = await next();
    assert.deepEqual(await peer.frame(), hex("0000000f 7f 000001 'tinit check'"));
    peer.write("0000000f 80 000001 'tinit check'");
    assert.deepEqual(
      await peer.frame(),
      hex("0000001c 44 000001 0001 0000000a 'mux-framer' 00000004 01000000"),
    );
    peer.write("00000006 bc 000001 0001");
    const session = await connecting;
    const reply = session.dispatch(hex("cafe"));
    assert.deepEqual(await peer.frame(), hex("0000000c 02 000002 0000 0000 0000 cafe"));
    peer.write("00000009 fe 000002 00 0000 beef");
    assert.deepEqual(await reply, hex("beef"));
    session.close();
  });

  test("answers pings, acknowledges Tdrain with Rdrain and closes once nothing is in flight; Nack is an error of its own", async () => {
    const { port, next } = await rawServer();
    const connecting = MuxClientSession.connect("127.0.0.1", port, { pingIntervalMs: 0 });
    const peer = await next();
    await peer.frame();
    peer.write("00000004 bf 000001"); // not the echo: a server from before handshakes; the client goes on without Tinit
    const session = await connecting;
    peer.write("00000004 41 00000a");
    assert.deepEqual(await peer.frame(), hex("00000004 bf 00000a"));
    const first = session.dispatch(hex("01"));
    assert.deepEqual(await peer.frame(), hex("0000000b 02 000002 0000 0000 0000 01"));
    peer.write("00000007 fe 000002 02 0000");
    await assert.rejects(first, MuxNackError);
    const second = session.dispatch(hex("02"));
    await peer.frame();
    peer.write("00000004 40 000001");
    assert.deepEqual(await peer.frame(), hex("00000004 c0 000001"));
    assert.equal(session.isAvailable, false, "no new requests once draining");
    await assert.rejects(session.dispatch(hex("03")), MuxClosedError);
    peer.write("00000007 fe 000003 00 0000");
    assert.deepEqual(await second, Buffer.alloc(0));
    await peer.closedNow();
  });

  test("aborting a dispatch sends Tdiscarded for its tag; an unanswered ping closes the connection", async () => {
    const { port, next } = await rawServer();
    const connecting = MuxClientSession.connect("127.0.0.1", port, { pingIntervalMs: 30, pingTimeoutMs: 60 });
    const peer = await next();
    await peer.frame();
    peer.write("0000000f 7f 000001 'tinit check'");
    await peer.frame();
    peer.write("00000006 bc 000001 0001");
    const session = await connecting;
    const controller = new AbortController();
    const call = session.dispatch(hex("01"), controller.signal);
    await peer.frame();
    controller.abort(new Error("no longer needed"));
    await assert.rejects(call, /no longer needed/);
    const frames: Buffer[] = [await peer.frame(), await peer.frame()];
    assert.ok(
      frames.some((f) => f.equals(hex("00000026 c2 000000 000002 'request discarded by the client'"))),
      "Tdiscarded for tag 2",
    );
    assert.ok(
      frames.some((f) => f.equals(hex("00000004 41 000001"))),
      "a ping",
    );
    const closed = new Promise<Error | undefined>((r) => session.onClose(r));
    assert.match(String((await closed)?.message), /no answer to a ping within 60 ms/);
  });
});

describe("ThriftMux client and server together", () => {
  test("calls succeed, declared exceptions come back as results, a closed server fails calls", async () => {
    const { server, port } = await echoServer();
    const session = await MuxClientSession.connect("127.0.0.1", port, { pingIntervalMs: 0 });
    const client = new ThriftMuxClient(session);
    assert.deepEqual(await client.call(echo, { req: { text: "abc" } }), { success: { text: "ABC" } });
    assert.deepEqual(await client.call(echo, { req: { text: "fail" } }), {
      failure: { reason: "asked to fail" },
    });
    const held = assert.rejects(client.call(echo, { req: { text: "wait" } }), MuxNackError);
    await new Promise((r) => setTimeout(r, 30));
    await server.close();
    await held;
    await assert.rejects(client.call(echo, { req: { text: "x" } }), MuxClosedError);
  });
});
