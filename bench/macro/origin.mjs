// The benchmark origin, run as its own process: a Node HTTP server answering every request with a fixed 12-byte body.
//
//   node bench/macro/origin.mjs [PORT]   # prints "origin listening on 127.0.0.1:<port>"; port 0 (default) = OS-chosen

import { createServer } from "node:http";
import { stopOnSignalOrParentExit } from "../lib/stop-with-parent.mjs";

// The same 12 bytes as the nginx origin (topology.ts BODY), which the benchmark checks before each case.
const ORIGIN_BODY = "hello world\n";

const body = Buffer.from(ORIGIN_BODY);
const headers = { "Content-Type": "text/plain", "Content-Length": String(body.length) };

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
// Longer than any pause between runs, so that a proxy's pooled connections are never closed under it.
server.keepAliveTimeout = 120_000;

const port = Number(process.argv[2] ?? "0");
server.listen({ host: "127.0.0.1", port }, () => {
  const a = server.address();
  process.stdout.write(
    `origin listening on 127.0.0.1:${typeof a === "object" && a !== null ? a.port : port}\n`,
  );
});

stopOnSignalOrParentExit(server);
