// Holds idle keep-alive connections to a proxy, each after one answered request, for the per-connection memory test.
//
//   node bench/hold-connections.ts PORT [HOST_HEADER]
//
// Reads target totals from stdin, one a line (e.g. "1000", later "4000"): opens connections until that many are
// held, each sending one GET and reading its response to the end, and prints "held <n> failed <f>". Closes
// everything and exits when stdin ends. Connects to 127.0.0.1 only.

import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { ResponseParser } from "./lib/http-response-parser.ts";

const port = Number(process.argv[2]);
const hostHeader = process.argv[3] ?? "bench";
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("usage: node bench/hold-connections.ts PORT [HOST_HEADER]\n");
  process.exit(2);
}
const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: trellis-hold\r\n\r\n`);
const held: Socket[] = [];
let failed = 0;
/** Connections opened at once (the listen backlog is 511 in Node; keep well under it). */
const AT_ONCE = 64;

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      if (ok) held.push(socket);
      else {
        failed++;
        socket.destroy();
      }
      resolve();
    };
    const parser = new ResponseParser((r) => finish(r.status === 200 && !r.close));
    socket.setTimeout(10_000, () => finish(false));
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d: Buffer) => {
      try {
        parser.feed(d);
      } catch {
        finish(false);
      }
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => {
      const i = held.indexOf(socket);
      if (i >= 0) held.splice(i, 1);
      finish(false);
    });
    socket.on("timeout", () => {
      // Idle after its response is the point: the timeout only guards the request.
      if (!done) finish(false);
      socket.setTimeout(0);
    });
  });
}

async function holdUpTo(target: number): Promise<void> {
  while (held.length < target) {
    const batch = Math.min(AT_ONCE, target - held.length);
    const before = failed;
    await Promise.all(Array.from({ length: batch }, openOne));
    if (failed - before === batch) break; // nothing gets through: stop trying
  }
  process.stdout.write(`held ${held.length} failed ${failed}\n`);
}

let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const n = Number(line.trim());
  if (Number.isInteger(n) && n >= 0) queue = queue.then(() => holdUpTo(n));
});
lines.on("close", () => {
  queue.then(() => {
    for (const s of held) s.destroy();
    process.exit(0);
  });
});
