// An undici-based proxy, as @fastify/reply-from builds one: a keep-alive undici Pool to the origin, bodies streamed.
//
//   node bench/undici-passthrough.mjs LISTEN_PORT UPSTREAM_PORT   # prints "undici proxy listening on 127.0.0.1:<port>"
//
// A node:http server; each request goes out through `pool.stream` (the request body streamed in from the
// IncomingMessage, the response streamed out into the ServerResponse, no intermediate Readable), with the
// hop-by-hop headers dropped both ways as a proxy must (undici refuses some of them outright). Both sides are
// 127.0.0.1 only. Plain JavaScript, as bench/node-passthrough.mjs.

import { createServer } from "node:http";
import { Pool } from "undici";
import { stopOnSignalOrParentExit } from "./lib/stop-with-parent.mjs";

const listenPort = Number(process.argv[2] ?? "0");
const upstreamPort = Number(process.argv[3]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write("usage: node bench/undici-passthrough.mjs LISTEN_PORT UPSTREAM_PORT\n");
  process.exit(2);
}

// As many upstream connections as bench/node-passthrough.mjs's Agent allows, kept as long as the origin keeps them.
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 120_000,
  keepAliveMaxTimeout: 120_000,
});

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

/** The headers without the hop-by-hop ones (and those the Connection header names). */
function endToEnd(headers) {
  const named =
    typeof headers.connection === "string" ? headers.connection.toLowerCase().split(/\s*,\s*/) : [];
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = headers[name];
  return out;
}

const server = createServer((req, res) => {
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  pool.stream(
    { method: req.method, path: req.url, headers: endToEnd(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, endToEnd(headers));
      return res;
    },
    (err) => {
      if (err === null) return;
      if (!res.headersSent) {
        res.writeHead(502, { "content-length": "0" });
        res.end();
      } else res.destroy();
    },
  );
});
server.keepAliveTimeout = 120_000;

server.listen({ host: "127.0.0.1", port: listenPort }, () => {
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : listenPort;
  process.stdout.write(`undici proxy listening on 127.0.0.1:${port}\n`);
});

stopOnSignalOrParentExit(server, () => {
  pool.destroy();
});
