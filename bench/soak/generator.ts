// The soak's load generator process: bench/lib/open-loop.ts's fixed-rate design, reporting each window as it closes.
//
//   node bench/soak/generator.ts --port P --rate R --duration S [--connections 16] [--window 10] [--host bench]
//
// bench/lib/open-loop.ts reports its windows only when the whole run is over; a soak needs a line every 10 s
// over the same keep-alive connections, so this is the same generator (a sender thread on a timetable writing
// a pre-built request to the next idle connection's fd; latency from the intended send time, so no
// coordinated omission; one request in flight per connection) with windows that are printed as soon as every
// request due in them is answered or failed. Its Histogram, percentiles and response parser are the library's.
// Requests also time out (the connection is then closed and reopened), so that a stuck one cannot hold a
// window open. stdout carries one JSON object per line: {"type":"start"}, then {"type":"window"} per window,
// then {"type":"done"}. It only connects to 127.0.0.1.

import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { Histogram, type HistogramJson } from "../lib/histogram.ts";
import { ResponseParser } from "../lib/http-response-parser.ts";
import { type Percentiles, percentiles } from "../lib/open-loop.ts";

/** What the generator prints for each window (one JSON line). */
export interface WindowLine {
  readonly type: "window";
  /** 0-based; the window covers intended send times [index × windowS, (index + 1) × windowS). */
  readonly index: number;
  readonly windowS: number;
  /** Requests due in the window, answered with 2xx/3xx, with another status, and failed. */
  readonly scheduled: number;
  readonly good: number;
  readonly bad: number;
  readonly failed: {
    /** Lost to a closed or failed connection (or an unparsable response). */
    readonly connection: number;
    /** Not answered within the request timeout. */
    readonly timeout: number;
    /** Still unsent or unanswered when the window had to be closed. */
    readonly unfinished: number;
  };
  /** Latency of the answered requests, from the intended send time. */
  readonly latency: Percentiles;
  readonly histogram: HistogramJson;
  /** How late the sends left against the timetable, in µs (the generator's own lag). */
  readonly sendLag: Percentiles;
  /** Connections reopened during the window. */
  readonly reconnects: number;
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

// Shared control words (Int32Array over a SharedArrayBuffer), as in bench/lib/open-loop.ts.
const STOP = 0;
const NEXT = 1;
const GEN = 2;
const WANT = 3;
const WRITE_ERRORS = 4;
const CONTROL_WORDS = 5;

const IDLE = 0;
const BUSY = 1;
const CLOSED = 2;

/** The sender thread: the library's, unchanged in substance (claim an idle connection, note what and when, write). */
const SENDER_SOURCE = `
const { parentPort, workerData: w } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const ctl = new Int32Array(w.control);
const state = new Int32Array(w.state);
const fds = new Int32Array(w.fds);
const sendIdx = new Int32Array(w.sendIdx);
const sendAt = new Float64Array(w.sendAt);
const request = Buffer.from(w.request, "latin1");
const now = () => { const t = process.hrtime(); return (t[0] - w.baseS) * 1e9 + (t[1] - w.baseNs); };
const n = fds.length;
let rr = 0;
let next = 0;
while (next < w.total && Atomics.load(ctl, ${STOP}) === 0) {
  const t = now();
  const due = w.startNs + next * w.periodNs;
  if (t < due) {
    if (due - t > w.spinNs) Atomics.wait(ctl, ${STOP}, 0, (due - t - w.spinNs) / 1e6);
    continue;
  }
  const dueCount = Math.min(w.total, Math.floor((t - w.startNs) / w.periodNs) + 1);
  const gen = Atomics.load(ctl, ${GEN});
  while (next < dueCount) {
    let c = -1;
    for (let k = 0; k < n; k++) {
      const j = (rr + k) % n;
      if (Atomics.compareExchange(state, j, ${IDLE}, ${BUSY}) === ${IDLE}) { c = j; break; }
    }
    if (c < 0) break;
    rr = c + 1;
    sendAt[c] = now();
    Atomics.store(sendIdx, c, next);
    try { writeSync(fds[c], request); } catch { Atomics.add(ctl, ${WRITE_ERRORS}, 1); }
    next++;
    Atomics.store(ctl, ${NEXT}, next);
  }
  if (next < dueCount) {
    Atomics.store(ctl, ${WANT}, 1);
    if (Atomics.load(ctl, ${STOP}) === 0) Atomics.wait(ctl, ${GEN}, gen, 10);
    Atomics.store(ctl, ${WANT}, 0);
  }
}
parentPort.postMessage("done");
`;

export interface GeneratorOptions {
  readonly port: number;
  readonly rate: number;
  readonly durationS: number;
  readonly connections: number;
  readonly windowS: number;
  readonly host: string;
  /** A request unanswered this long fails and its connection is closed. */
  readonly requestTimeoutMs: number;
  /** A window is closed at the latest this long after its end, whatever is still outstanding. */
  readonly windowGraceMs: number;
}

interface Win {
  readonly latency: Histogram;
  readonly lag: Histogram;
  good: number;
  bad: number;
  connection: number;
  timeout: number;
  /** Requests of the window accounted for (answered or failed). */
  done: number;
  reconnects: number;
}

interface Conn {
  readonly index: number;
  socket: Socket | undefined;
  parser: ResponseParser;
}

function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0)
    throw new Error("soak generator: cannot get the socket's file descriptor");
  return fd;
}

/** Runs the load, calling `emit` with each line; resolves when the last window is out. */
export async function runGenerator(o: GeneratorOptions, emit: (line: GeneratorLine) => void): Promise<void> {
  const request = `GET / HTTP/1.1\r\nHost: ${o.host}\r\nUser-Agent: trellis-soak\r\n\r\n`;
  const [baseS, baseNs] = process.hrtime();
  const now = () => {
    const t = process.hrtime();
    return (t[0] - baseS) * 1e9 + (t[1] - baseNs);
  };
  const periodNs = 1e9 / o.rate;
  const total = Math.round(o.durationS * o.rate);
  const windowNs = o.windowS * 1e9;
  const windowCount = Math.ceil(o.durationS / o.windowS);
  const spinNs = Math.min(150_000, 0.3 * periodNs);
  const windowOf = (i: number) => Math.min(windowCount - 1, Math.floor((i * periodNs) / windowNs));
  /** The first request index of window w (w = windowCount gives `total`), exactly as windowOf rounds. */
  const firstOf = (w: number) => {
    if (w >= windowCount) return total;
    let i = Math.ceil((w * windowNs) / periodNs);
    while (i > 0 && windowOf(i - 1) >= w) i--;
    while (windowOf(i) < w) i++;
    return i;
  };

  const n = o.connections;
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  const state = new Int32Array(new SharedArrayBuffer(4 * n)).fill(CLOSED);
  const fds = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
  const sendIdx = new Int32Array(new SharedArrayBuffer(4 * n));
  const sendAt = new Float64Array(new SharedArrayBuffer(8 * n));

  const wins = new Map<number, Win>();
  const win = (w: number): Win => {
    let x = wins.get(w);
    if (x === undefined) {
      x = {
        latency: new Histogram(),
        lag: new Histogram(),
        good: 0,
        bad: 0,
        connection: 0,
        timeout: 0,
        done: 0,
        reconnects: 0,
      };
      wins.set(w, x);
    }
    return x;
  };
  let nextEmit = 0;
  let late = 0;
  let reconnects = 0;
  let startNs = 0;
  let stopping = false;

  /** Accounts for request i; false when its window is already out (the request then counts as late). */
  const account = (i: number): Win | undefined => {
    const w = windowOf(i);
    if (w < nextEmit) {
      late++;
      return undefined;
    }
    const x = win(w);
    x.done++;
    return x;
  };

  const release = (c: number) => {
    Atomics.store(state, c, IDLE);
    if (Atomics.load(control, WANT) === 1) {
      Atomics.add(control, GEN, 1);
      Atomics.notify(control, GEN);
    }
  };

  /** The connection is gone: a request in flight on it is lost (or timed out, when `timedOut`). */
  const lose = (c: number, timedOut = false) => {
    if (Atomics.exchange(state, c, CLOSED) !== BUSY) return;
    const x = account(Atomics.load(sendIdx, c));
    if (x === undefined) return;
    if (timedOut) x.timeout++;
    else x.connection++;
  };

  const onResponse = (c: Conn, status: number, close: boolean) => {
    const t = now();
    if (Atomics.load(state, c.index) !== BUSY) {
      // An answer to nothing: drop the connection (its request, if any, was already accounted for).
      c.socket?.destroy();
      return;
    }
    const i = Atomics.load(sendIdx, c.index);
    const x = account(i);
    if (x !== undefined) {
      const intended = startNs + i * periodNs;
      x.latency.record(t - intended);
      x.lag.record((sendAt[c.index] as number) - intended);
      if (status >= 200 && status < 400) x.good++;
      else x.bad++;
    }
    if (close) {
      Atomics.store(state, c.index, CLOSED);
      c.socket?.destroy();
      return;
    }
    release(c.index);
    flush();
  };

  const open = (c: Conn): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: o.port, noDelay: true });
      c.socket = socket;
      c.parser = new ResponseParser((r) => onResponse(c, r.status, r.close));
      let connected = false;
      socket.on("connect", () => {
        connected = true;
        try {
          Atomics.store(fds, c.index, fdOf(socket));
        } catch (e) {
          socket.destroy();
          reject(e);
          return;
        }
        release(c.index);
        resolve();
      });
      socket.on("data", (d: Buffer) => {
        try {
          c.parser.feed(d);
        } catch {
          lose(c.index);
          socket.destroy();
        }
      });
      socket.on("end", () => lose(c.index));
      socket.on("error", (e) => {
        lose(c.index);
        if (!connected) reject(e);
      });
      socket.on("close", () => {
        if (c.socket !== socket) return;
        c.parser.end();
        lose(c.index);
        Atomics.store(fds, c.index, -1);
        if (stopping || !connected) return;
        reconnects++;
        // Counted in the window whose requests are being sent now.
        const due = Math.max(0, Math.floor((now() - startNs) / periodNs));
        if (startNs > 0) win(Math.max(nextEmit, windowOf(due))).reconnects++;
        setTimeout(() => {
          if (!stopping) open(c).catch(() => {});
        }, 10);
      });
    });

  /** Prints every window that is complete, or past its grace period, in order. */
  const flush = () => {
    while (nextEmit < windowCount) {
      const w = nextEmit;
      const scheduled = firstOf(w + 1) - firstOf(w);
      const x = win(w);
      const endNs = startNs + (w + 1) * windowNs;
      const complete = x.done >= scheduled;
      if (!complete && now() < endNs + o.windowGraceMs * 1e6) return;
      nextEmit++;
      wins.delete(w);
      emit({
        type: "window",
        index: w,
        windowS: o.windowS,
        scheduled,
        good: x.good,
        bad: x.bad,
        failed: { connection: x.connection, timeout: x.timeout, unfinished: Math.max(0, scheduled - x.done) },
        latency: percentiles(x.latency),
        histogram: x.latency.toJSON(),
        sendLag: percentiles(x.lag),
        reconnects: x.reconnects,
      });
    }
  };

  const conns: Conn[] = [];
  for (let i = 0; i < n; i++)
    conns.push({ index: i, socket: undefined, parser: new ResponseParser(() => {}) });
  try {
    await Promise.all(conns.map(open));
  } catch (e) {
    stopping = true;
    for (const c of conns) c.socket?.destroy();
    throw e;
  }

  startNs = now() + 30e6;
  emit({ type: "start", rate: o.rate, connections: n, windowS: o.windowS, windows: windowCount });
  const sender = new Worker(SENDER_SOURCE, {
    eval: true,
    workerData: {
      control: control.buffer,
      state: state.buffer,
      fds: fds.buffer,
      sendIdx: sendIdx.buffer,
      sendAt: sendAt.buffer,
      request,
      baseS,
      baseNs,
      startNs,
      periodNs,
      spinNs,
      total,
    },
  });
  sender.on("error", (e) => {
    process.stderr.write(`soak generator: the sender thread failed: ${e.message}\n`);
  });

  // Every 100 ms: fail requests past their timeout (closing their connection), and print what is complete.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const t = now();
      for (const c of conns) {
        if (Atomics.load(state, c.index) !== BUSY) continue;
        if (t - (sendAt[c.index] as number) > o.requestTimeoutMs * 1e6) {
          lose(c.index, true);
          c.socket?.destroy();
        }
      }
      flush();
      if (nextEmit >= windowCount) {
        clearInterval(tick);
        resolve();
      }
    }, 100);
  });
  stopping = true;
  Atomics.store(control, STOP, 1);
  Atomics.notify(control, STOP);
  Atomics.add(control, GEN, 1);
  Atomics.notify(control, GEN);
  await sender.terminate();
  for (const c of conns) c.socket?.destroy();
  emit({
    type: "done",
    sent: Atomics.load(control, NEXT),
    reconnects,
    writeErrors: Atomics.load(control, WRITE_ERRORS),
    late,
  });
}

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
  const windowS = num("window", values.window, 1);
  const requestTimeoutMs = num("timeout", values.timeout, 100);
  runGenerator(
    {
      port: num("port", values.port, 1),
      rate: num("rate", values.rate, 1),
      durationS: num("duration", values.duration, windowS),
      connections: num("connections", values.connections, 1),
      windowS,
      host: values.host,
      requestTimeoutMs,
      // Requests in flight time out on their own; this only bounds a window whose requests cannot be sent at
      // all (every connection gone for good). A generator that is merely behind its timetable is waited for, so
      // that its late requests count with their full latency rather than as failures.
      windowGraceMs: 60_000,
    },
    (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
  ).then(
    // Nothing is left open: the process ends once stdout is flushed.
    () => {},
    (e: unknown) => {
      process.stderr.write(`soak generator: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
