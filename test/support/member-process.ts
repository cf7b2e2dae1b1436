// A service in its own process for fault tests: an HTTP server answering its name, registered as an ephemeral serverset member.
//
// Usage: node member-process.ts ZK_CONNECT SERVERSET NAME SESSION_TIMEOUT_MS
// Prints one JSON line {"port":...,"member":"/path/member_...","session":"hex"} once registered, then serves until
// killed. Killed with SIGKILL, it ends neither its session nor its server: ZooKeeper removes the member only
// when the session times out.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ZkClient } from "../../src/namers/serversets/zk-client.ts";
import { memberJson, register } from "./serversets.ts";

const [connect, serverset, name, timeout] = process.argv.slice(2) as [string, string, string, string];
const server = createServer((_req, res) => res.end(name));
server.listen(0, "127.0.0.1", async () => {
  const port = (server.address() as AddressInfo).port;
  const zkAddrs = connect.split(",").map((hp) => {
    const i = hp.lastIndexOf(":");
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
  const client = new ZkClient(zkAddrs, { sessionTimeoutMs: Number(timeout) });
  await client.whenConnected();
  const member = await register(client, serverset, memberJson("127.0.0.1", port));
  process.stdout.write(`${JSON.stringify({ port, member, session: client.sessionIdHex() })}\n`);
});
