// What a Node user gets from http-proxy (node-http-proxy, the most used Node proxy library) in front of one origin.
//
//   node bench/http-proxy-passthrough.mjs LISTEN_PORT UPSTREAM_PORT   # prints "http-proxy listening on 127.0.0.1:<port>"
//
// `httpProxy.createProxyServer({ target, agent })` with a keep-alive Agent (without one, http-proxy sends
// `Connection: close` upstream and opens a connection per request), called from a node:http server: the library's
// README usage, nothing tuned. Both sides are 127.0.0.1 only. Plain JavaScript, as bench/node-passthrough.mjs.

import { Agent, createServer } from "node:http";
import httpProxy from "http-proxy";
import { stopOnSignalOrParentExit } from "./lib/stop-with-parent.mjs";

const listenPort = Number(process.argv[2] ?? "0");
const upstreamPort = Number(process.argv[3]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write("usage: node bench/http-proxy-passthrough.mjs LISTEN_PORT UPSTREAM_PORT\n");
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 120_000 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent });
proxy.on("error", (_err, _req, res) => {
  // `res` is a socket for WebSocket upgrades, which the suite does not send.
  if (typeof res.writeHead !== "function") return res.destroy();
  if (!res.headersSent) res.writeHead(502, { "content-length": "0" });
  res.end();
});

const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 120_000;

server.listen({ host: "127.0.0.1", port: listenPort }, () => {
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : listenPort;
  process.stdout.write(`http-proxy listening on 127.0.0.1:${port}\n`);
});

stopOnSignalOrParentExit(server, () => {
  proxy.close();
  agent.destroy();
});
