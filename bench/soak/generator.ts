// The soak's load generator process: bench/lib/open-loop.ts at a fixed rate, printing each window as it closes.
//
//   node bench/soak/generator.ts --port P --rate R --duration S [--connections 16] [--window 10] [--host bench]
//        [--timeout 5000] [--spin-us 0]
//
// A thin CLI over runOpenLoop (no warm-up, one Host name, path /): each window is printed as soon as every
// request due in it is answered or failed, and requests time out after --timeout ms (the connection is then
// closed and reopened), so that a stuck one cannot hold a window open. The sender sleeps up to each send time
// unless --spin-us says to spin that long before it. stdout carries one JSON object per line:
// {"type":"start"}, then {"type":"window"} per window, then {"type":"done"}. It only connects to 127.0.0.1.

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type OpenLoopWindow, runOpenLoop } from "../lib/open-loop.ts";

/** What the generator prints for each window (one JSON line): the library's window figures and its length. */
export interface WindowLine extends OpenLoopWindow {
  readonly type: "window";
  readonly windowS: number;
}

export interface StartLine {
  readonly type: "start";
  readonly rate: number;
  readonly connections: number;
  readonly windowS: number;
  readonly windows: number;
}

export interface DoneLine {
  readonly type: "done";
  readonly sent: number;
  readonly reconnects: number;
  readonly writeErrors: number;
  /** Answers that came after their window had been closed (already counted as failed there). */
  readonly late: number;
}

export type GeneratorLine = StartLine | WindowLine | DoneLine;

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string", default: "16" },
      window: { type: "string", default: "10" },
      host: { type: "string", default: "bench" },
      timeout: { type: "string", default: "5000" },
      "spin-us": { type: "string", default: "0" },
    },
  });
  const num = (name: string, text: string | undefined, min: number): number => {
    const v = Number(text);
    if (text === undefined || !Number.isFinite(v) || v < min) {
      process.stderr.write(`soak generator: --${name} must be a number >= ${min}, got ${text}\n`);
      process.exit(2);
    }
    return v;
  };
  const emit = (line: GeneratorLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const windowS = num("window", values.window, 1);
  const requestTimeoutMs = num("timeout", values.timeout, 100);
  const port = num("port", values.port, 1);
  const rate = num("rate", values.rate, 1);
  const durationS = num("duration", values.duration, windowS);
  const connections = num("connections", values.connections, 1);
  // No spinning by default: at a soak's rate it would take some 30% of the CPU the generator shares with the
  // origin, and a late send of 50-150 µs does not matter to a drift measured in milliseconds.
  const spinUs = num("spin-us", values["spin-us"], 0);
  runOpenLoop({
    host: "127.0.0.1",
    port,
    rate,
    durationS,
    warmupS: 0,
    connections,
    hosts: [values.host],
    path: "/",
    windowS,
    requestTimeoutMs,
    spinUs,
    // Requests in flight time out on their own; this only bounds a window whose requests cannot be sent at all
    // (every connection gone for good). A generator that is merely behind its timetable is waited for, so that
    // its late requests count with their full latency rather than as failures.
    windowGraceMs: 60_000,
    drainMs: 60_000,
    onStart: (windows) => emit({ type: "start", rate, connections, windowS, windows }),
    onWindow: ({ index, ...rest }) => emit({ type: "window", index, windowS, ...rest }),
  }).then(
    // Nothing is left open: the process ends once stdout is flushed.
    (r) =>
      emit({
        type: "done",
        sent: r.sent,
        reconnects: r.reconnects,
        writeErrors: r.writeErrors,
        late: r.late,
      }),
    (e: unknown) => {
      process.stderr.write(`soak generator: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
