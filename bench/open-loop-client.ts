// The open-loop load generator as its own process: runs bench/lib/open-loop.ts against 127.0.0.1 and prints JSON.
//
//   node bench/open-loop-client.ts --port 8080 --rate 1000 --duration 30 [--warmup 2] [--connections 16]
//        [--host-header bench | --names 1000] [--window 10] [--path /] [--summary]
//
// Prints one JSON object (OpenLoopResult) on stdout when done; with --summary, a one-line text summary instead.
// It only ever connects to 127.0.0.1.

import { parseArgs } from "node:util";
import { runOpenLoop } from "./lib/open-loop.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    rate: { type: "string", default: "1000" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "1" },
    connections: { type: "string", default: "16" },
    "host-header": { type: "string", default: "bench" },
    names: { type: "string" },
    window: { type: "string" },
    path: { type: "string", default: "/" },
    drain: { type: "string", default: "5000" },
    summary: { type: "boolean", default: false },
  },
});

function num(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < min) {
    process.stderr.write(`open-loop-client: --${name} must be a number >= ${min}, got ${text}\n`);
    process.exit(2);
  }
  return n;
}

const port = num("port", values.port, 1);
const durationS = num("duration", values.duration, 0.1);
// With --names N the Host header goes round N names: <host-header>-0 ... <host-header>-(N-1).
const names = values.names === undefined ? undefined : num("names", values.names, 1);
const base = values["host-header"];
const hosts = names === undefined ? [base] : Array.from({ length: names }, (_, i) => `${base}-${i}`);

const result = await runOpenLoop({
  host: "127.0.0.1",
  port,
  rate: num("rate", values.rate, 1),
  durationS,
  warmupS: num("warmup", values.warmup, 0),
  connections: num("connections", values.connections, 1),
  hosts,
  path: values.path,
  windowS: values.window === undefined ? Math.max(1, durationS / 3) : num("window", values.window, 0.1),
  drainMs: num("drain", values.drain, 0),
});

if (values.summary) {
  const l = result.latency;
  const e = result.errors;
  process.stdout.write(
    `${result.rate} rps x ${result.durationS} s: ${result.completed}/${result.scheduled} completed; ` +
      `p50 ${l.p50Us} µs, p99 ${l.p99Us}, p99.9 ${l.p999Us}, max ${l.maxUs}; ` +
      `errors status ${e.status} connection ${e.connection} parse ${e.parse} unfinished ${e.unfinished}; ` +
      `send lag p50 ${result.sendLag.p50Us} p99 ${result.sendLag.p99Us} max ${result.sendLag.maxUs} µs\n`,
  );
} else {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
