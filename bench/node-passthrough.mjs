// The floor a Node user would write: a node:http server piping each request through http.request on a keep-alive Agent.
//
//   node bench/node-passthrough.mjs LISTEN_PORT UPSTREAM_PORT   # prints "node-passthrough listening on 127.0.0.1:<port>"
//
// No routing, no headers added or removed, no metrics: what `http.createServer` + `http.request` + `pipe` give.
// Both sides are 127.0.0.1 only. Plain JavaScript on purpose: a user would write it so, and Node's TypeScript
// stripping would add some 60-70 ms to its start-up time, which the suite measures.

import { Agent, createServer, request } from "node:http";
import { stopOnSignalOrParentExit } from "./lib/stop-with-parent.mjs";

const listenPort = Number(process.argv[2] ?? "0");
const upstreamPort = Number(process.argv[3]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write("usage: node bench/node-passthrough.mjs LISTEN_PORT UPSTREAM_PORT\n");
  process.exit(2);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 120_000 });

const server = createServer((req, res) => {
  const upstream = request(
    {
      host: "127.0.0.1",
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502, { "content-length": "0" });
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 120_000;

server.listen({ host: "127.0.0.1", port: listenPort }, () => {
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : listenPort;
  process.stdout.write(`node-passthrough listening on 127.0.0.1:${port}\n`);
});

stopOnSignalOrParentExit(server, () => {
  agent.destroy();
});
