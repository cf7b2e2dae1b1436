// A backend replica in its own process for resilience tests: answers after a delay with a status, changeable live.
//
// Usage: node replica-process.ts NAME [PORT]
// Prints `listening <port>` once up. Every request is answered with its name as body after `delay` ms with
// `status` (200, 0 ms to start). `POST /__control?delay=N&status=S&retryable=1` changes that (answered at once,
// not counted). For every counted request it writes `+` on standard output when it arrives and `-` when it is
// answered, synchronously, so a test that SIGKILLs it can tell exactly how many were in flight. Each control
// request writes `=` before it is answered, so the test can tell when every `+` written before it has been read.

import { writeSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const name = process.argv[2] ?? "replica";
let delay = 0;
let status = 200;
let retryable = false;

const server = createServer((req, res) => {
  if (req.url?.startsWith("/__control")) {
    const q = new URL(req.url, "http://x").searchParams;
    if (q.has("delay")) delay = Number(q.get("delay"));
    if (q.has("status")) status = Number(q.get("status"));
    if (q.has("retryable")) retryable = q.get("retryable") === "1";
    writeSync(1, "=");
    req.resume();
    res.end("ok");
    return;
  }
  writeSync(1, "+");
  const answer = () => {
    const headers: Record<string, string> = { "Content-Type": "text/plain", "x-replica": name };
    if (retryable) headers["l5d-retryable"] = "true";
    res.writeHead(status, headers);
    res.end(name, () => writeSync(1, "-"));
  };
  req.resume();
  req.on("end", () => {
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[3] ?? "0"), "127.0.0.1", () => {
  writeSync(1, `listening ${(server.address() as AddressInfo).port}\n`);
});

// Do not outlive the test that started us.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
