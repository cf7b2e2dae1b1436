// Tests of the ZooKeeper client wrapper that need no ZooKeeper: a server that accepts connections and never answers.

import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { connectString, ZkClient, ZkError } from "./zk-client.ts";

/** A TCP server that accepts every connection and says nothing, counting them. */
async function silentServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  server.on("close", () => {
    for (const s of sockets) s.destroy();
  });
  return { server, port: (server.address() as AddressInfo).port, connections: () => count };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ZkClient", () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  it("writes the connect string of several servers, IPv6 in brackets", () => {
    assert.equal(
      connectString([
        { host: "127.0.0.1", port: 2181 },
        { host: "::1", port: 2182 },
      ]),
      "127.0.0.1:2181,[::1]:2182",
    );
    assert.throws(() => connectString([]), /no ZooKeeper address/);
  });

  it("cuts a connection whose session handshake is not answered, and tries again", async () => {
    const silent = await silentServer();
    servers.push(silent.server);
    const client = new ZkClient([{ host: "127.0.0.1", port: silent.port }], {
      sessionTimeoutMs: 900,
      retryDelayMs: 100,
    });
    const waiting = client.getChildren("/discovery");
    const start = Date.now();
    while (silent.connections() < 3) {
      assert.ok(Date.now() - start < 5000, `only ${silent.connections()} connection attempts in 5 s`);
      await sleep(20);
    }
    assert.equal(client.state, "connecting");
    await client.close();
    await assert.rejects(waiting, (e) => e instanceof ZkError && e.code === "closed");
    const attempts = silent.connections();
    await sleep(800);
    assert.equal(silent.connections(), attempts, "no attempt after close()");
  });

  it("rejects operations once closed", async () => {
    const client = new ZkClient([{ host: "127.0.0.1", port: 1 }]);
    await client.close();
    await assert.rejects(client.getData("/x"), (e) => e instanceof ZkError && e.code === "closed");
    assert.equal(client.state, "closed");
  });
});
