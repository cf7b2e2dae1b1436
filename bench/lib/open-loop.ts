// An open-loop HTTP load generator: a fixed request rate on keep-alive sockets, latency from the intended send time.
//
// Request i is due at start + i / rate, whatever happened to the previous ones. A worker thread keeps the
// timetable: it sleeps with Atomics.wait (finer than setTimeout's milliseconds) and spins the last stretch, then
// writes the pre-built request straight to the next idle connection's socket (fs.writeSync on its fd, so a send
// costs one thread wake-up, not two). With every connection busy, due requests wait for the first to free up,
// and that wait counts: latency runs from the intended send time to the end of the response (no coordinated
// omission). The main thread owns the sockets' reading side: it parses the responses, records the latencies and
// hands the connection back. One request in flight per connection (no pipelining). How late each send left
// against the timetable is recorded too, as a check of the generator itself.
//
// The measurement is split into windows. By default they are reported with the rest when the run is over; with
// `onWindow` each is reported as soon as every request due in it is answered or failed (or its grace is up:
// what comes after that counts as late), which is how the soak (bench/soak/generator.ts) prints a line per
// window. With `requestTimeoutMs` a request unanswered that long fails and its connection is closed and reopened,
// so that a stuck request cannot hold a window open.

import { connect, type Socket } from "node:net";
import { Worker } from "node:worker_threads";
import { Histogram, type HistogramJson } from "./histogram.ts";
import { ResponseParser } from "./http-response-parser.ts";

export interface OpenLoopOptions {
  readonly host: string;
  readonly port: number;
  /** Requests per second. */
  readonly rate: number;
  /** Measured seconds (after the warm-up). */
  readonly durationS: number;
  /** Seconds at the same rate before the measurement, not recorded. */
  readonly warmupS: number;
  readonly connections: number;
  /** Host header values, used in turn (one for a single name). */
  readonly hosts: readonly string[];
  readonly path: string;
  /** Length of the windows the measurement is also split into, in seconds. */
  readonly windowS: number;
  /** How long to wait for outstanding responses after the last send is due, in ms. */
  readonly drainMs: number;
  /** Called once the connections are open, 30 ms before the first request is due, with the number of windows. */
  readonly onStart?: (windows: number) => void;
  /**
   * Called with each window, in order, as soon as every request due in it is answered or failed, or
   * `windowGraceMs` after its end, or at the end of the run. Without it, windows are only in the result.
   */
  readonly onWindow?: (window: OpenLoopWindow) => void;
  /** With `onWindow`: a window is closed at the latest this long after its end, whatever is still outstanding. */
  readonly windowGraceMs?: number;
  /** A request unanswered this long after it was sent fails, and its connection is closed and reopened. */
  readonly requestTimeoutMs?: number;
  /**
   * How long before each send the sender spins rather than sleeps, in µs. By default 30% of the period, at most
   * 150 µs: sends then leave on time to a few µs. 0 sleeps all the way (sends leave 50-150 µs late), which
   * leaves that CPU time to the generator's other thread and the origin when they share one CPU at a high rate.
   */
  readonly spinUs?: number;
}

export interface Percentiles {
  readonly count: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
}

/** One window of the measurement, as `onWindow` gets it. */
export interface OpenLoopWindow {
  /** 0-based; the window covers intended send times [index × windowS, (index + 1) × windowS) of the measurement. */
  readonly index: number;
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
  /** Connections reopened during the window (those before the measurement count in the first). */
  readonly reconnects: number;
}

export interface OpenLoopResult {
  readonly rate: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly hosts: number;
  /** Requests due in the measured period, and how many of them completed. */
  readonly scheduled: number;
  readonly completed: number;
  /** Completed responses per second of the measured period. */
  readonly achievedRps: number;
  readonly errors: {
    /** Responses with a status outside 200-399. */
    readonly status: number;
    /** Requests lost to a closed or failed connection. */
    readonly connection: number;
    /** Responses that could not be parsed. */
    readonly parse: number;
    /** Requests still unsent or unanswered at the end of the drain (or when their window was closed). */
    readonly unfinished: number;
    /** Requests not answered within `requestTimeoutMs`. */
    readonly timeout: number;
  };
  /** Latency of the measured requests, from the intended send time, in µs. */
  readonly latency: Percentiles;
  readonly histogram: HistogramJson;
  /** The same per window of `windowS`. */
  readonly windows: readonly Percentiles[];
  /** How late the sends left against the timetable (the generator's own lag), in µs. */
  readonly sendLag: Percentiles;
  /** Connections (re)opened during the run, besides the initial ones. */
  readonly reconnects: number;
  /** Sends that failed (each also lost its connection). */
  readonly writeErrors: number;
  /** Requests sent, the warm-up's included. */
  readonly sent: number;
  /** Answers and failures that came after their window had been closed (counted as unfinished there). */
  readonly late: number;
}

export function percentiles(h: Histogram): Percentiles {
  const us = (ns: number) => Math.round(ns / 100) / 10;
  return {
    count: h.count,
    p50Us: us(h.percentileNs(50)),
    p90Us: us(h.percentileNs(90)),
    p99Us: us(h.percentileNs(99)),
    p999Us: us(h.percentileNs(99.9)),
    maxUs: us(h.maxNs),
    meanUs: us(h.meanNs),
  };
}

// Shared control words (Int32Array over a SharedArrayBuffer).
const STOP = 0; // set by the main thread: the sender stops
const NEXT = 1; // set by the sender: the index of the next request to send
const GEN = 2; // bumped by the main thread when a connection frees up while the sender waits for one
const WANT = 3; // set by the sender while it waits for a free connection
const WRITE_ERRORS = 4; // writes that failed (the connection's close then counts the request as lost)
const CONTROL_WORDS = 5;

// Connection states (one Int32 each).
const IDLE = 0;
const BUSY = 1;
const CLOSED = 2;

/**
 * The sender thread. It claims an idle connection by compare-and-swap IDLE → BUSY, notes which request and when
 * (sendIdx, sendAt), then writes the request bytes to the socket's fd.
 */
const SENDER_SOURCE = `
const { parentPort, workerData: w } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const ctl = new Int32Array(w.control);
const state = new Int32Array(w.state);
const fds = new Int32Array(w.fds);
const sendIdx = new Int32Array(w.sendIdx);
const sendAt = new Float64Array(w.sendAt);
const requests = w.requests.map((r) => Buffer.from(r, "latin1"));
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
    try { writeSync(fds[c], requests[next % requests.length]); } catch { Atomics.add(ctl, ${WRITE_ERRORS}, 1); }
    next++;
    Atomics.store(ctl, ${NEXT}, next);
  }
  if (next < dueCount) {
    // Every connection is busy: sleep until one frees up (GEN changes), or 10 ms to look again.
    Atomics.store(ctl, ${WANT}, 1);
    if (Atomics.load(ctl, ${STOP}) === 0) Atomics.wait(ctl, ${GEN}, gen, 10);
    Atomics.store(ctl, ${WANT}, 0);
  }
}
parentPort.postMessage("done");
`;

interface Conn {
  readonly index: number;
  socket: Socket | undefined;
  parser: ResponseParser;
}

/** A window's figures while it is open. */
interface Win {
  readonly scheduled: number;
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

/** The file descriptor under a connected net.Socket (Node keeps it on the internal handle on Unix). */
function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new Error("open-loop: cannot get the socket's file descriptor");
  return fd;
}

/** Runs the load and resolves with what it measured. Rejects when the connections cannot be opened. */
export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const requests = o.hosts.map(
    (h) => `GET ${o.path} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: trellis-open-loop\r\n\r\n`,
  );
  const [baseS, baseNs] = process.hrtime();
  const now = () => {
    const t = process.hrtime();
    return (t[0] - baseS) * 1e9 + (t[1] - baseNs);
  };

  const periodNs = 1e9 / o.rate;
  const warmupCount = Math.round(o.warmupS * o.rate);
  const measured = Math.round(o.durationS * o.rate);
  const total = warmupCount + measured;
  const windowNs = o.windowS * 1e9;
  const windowCount = Math.ceil(o.durationS / o.windowS);
  // Spin (rather than sleep) the last stretch before a send: sleeps overshoot by 50-150 µs here. Capped so
  // that at high rates the spinning leaves the CPU to the main thread and the origin.
  const spinNs = o.spinUs === undefined ? Math.min(150_000, 0.3 * periodNs) : o.spinUs * 1000;
  const graceNs = o.windowGraceMs === undefined ? Number.POSITIVE_INFINITY : o.windowGraceMs * 1e6;
  const timeoutNs = o.requestTimeoutMs === undefined ? undefined : o.requestTimeoutMs * 1e6;
  const live = o.onWindow !== undefined;

  /** The window of measured request m (counted from the end of the warm-up). */
  const windowOf = (m: number) => Math.min(windowCount - 1, Math.floor((m * periodNs) / windowNs));
  /** The first measured request of window w (w = windowCount gives `measured`), exactly as windowOf rounds. */
  const firstOf = (w: number) => {
    if (w >= windowCount) return measured;
    let m = Math.ceil((w * windowNs) / periodNs);
    while (m > 0 && windowOf(m - 1) >= w) m--;
    while (windowOf(m) < w) m++;
    return m;
  };

  const n = o.connections;
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  const state = new Int32Array(new SharedArrayBuffer(4 * n)).fill(CLOSED);
  const fds = new Int32Array(new SharedArrayBuffer(4 * n)).fill(-1);
  const sendIdx = new Int32Array(new SharedArrayBuffer(4 * n));
  const sendAt = new Float64Array(new SharedArrayBuffer(8 * n));

  const latency = new Histogram();
  const lag = new Histogram();
  /** The open windows, and what the closed ones add up to. */
  const wins = new Map<number, Win>();
  const closed: Percentiles[] = [];
  const totals = { good: 0, bad: 0, connection: 0, timeout: 0, done: 0 };
  let nextClose = 0;
  let late = 0;
  let parseErrors = 0;
  let reconnects = 0;
  let startNs = 0;
  let stopping = false;

  const win = (w: number): Win => {
    let x = wins.get(w);
    if (x === undefined) {
      x = {
        scheduled: firstOf(w + 1) - firstOf(w),
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

  /** Accounts for request i in its window; undefined for a warm-up request or a window already closed (late). */
  const account = (i: number): Win | undefined => {
    if (i < warmupCount) return undefined;
    const w = windowOf(i - warmupCount);
    if (w < nextClose) {
      late++;
      return undefined;
    }
    const x = win(w);
    x.done++;
    return x;
  };

  /** Closes the windows in order while the first open one is complete, past its grace, or `force`d. */
  const flush = (t: number, force: boolean) => {
    while (nextClose < windowCount) {
      const w = nextClose;
      const x = win(w);
      const endNs = startNs + warmupCount * periodNs + (w + 1) * windowNs;
      if (!force && x.done < x.scheduled && t < endNs + graceNs) return;
      nextClose++;
      wins.delete(w);
      totals.good += x.good;
      totals.bad += x.bad;
      totals.connection += x.connection;
      totals.timeout += x.timeout;
      totals.done += x.done;
      const figures: OpenLoopWindow = {
        index: w,
        scheduled: x.scheduled,
        good: x.good,
        bad: x.bad,
        failed: {
          connection: x.connection,
          timeout: x.timeout,
          unfinished: Math.max(0, x.scheduled - x.done),
        },
        latency: percentiles(x.latency),
        histogram: x.latency.toJSON(),
        sendLag: percentiles(x.lag),
        reconnects: x.reconnects,
      };
      if (x.latency.count > 0) closed.push(figures.latency);
      o.onWindow?.(figures);
    }
  };

  /** Gives a connection back to the sender, waking it if it waits for one. */
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
      // An answer to nothing: count it and drop the connection.
      parseErrors++;
      c.socket?.destroy();
      return;
    }
    const i = Atomics.load(sendIdx, c.index);
    const x = account(i);
    if (x !== undefined) {
      const intended = startNs + i * periodNs;
      const ns = t - intended;
      const lagNs = (sendAt[c.index] as number) - intended;
      latency.record(ns);
      lag.record(lagNs);
      x.latency.record(ns);
      x.lag.record(lagNs);
      if (status >= 200 && status < 400) x.good++;
      else x.bad++;
    }
    if (close) {
      Atomics.store(state, c.index, CLOSED);
      c.socket?.destroy();
    } else release(c.index);
    if (live) flush(t, false);
  };

  const open = (c: Conn): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: o.host, port: o.port, noDelay: true });
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
          parseErrors++;
          lose(c.index);
          socket.destroy();
        }
      });
      // The peer closed: no more sends on it (before its fd is closed and possibly reused).
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
        if (startNs > 0) {
          const due = Math.max(0, Math.floor((now() - startNs) / periodNs) - warmupCount);
          const w = Math.max(nextClose, windowOf(due));
          if (w < windowCount) win(w).reconnects++;
        }
        // Reopen after a moment, so that a refusing server does not make this spin.
        setTimeout(() => {
          if (!stopping) open(c).catch(() => {});
        }, 10);
      });
    });

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

  /** Fails the requests in flight for longer than the timeout, closing their connections (which reopen). */
  const expire = (t: number, limitNs: number) => {
    for (const c of conns) {
      if (Atomics.load(state, c.index) !== BUSY || t - (sendAt[c.index] as number) <= limitNs) continue;
      lose(c.index, true);
      c.socket?.destroy();
    }
  };

  // The timetable starts 30 ms from now, so that the sender thread is up by then.
  startNs = now() + 30e6;
  o.onStart?.(windowCount);
  const sender = new Worker(SENDER_SOURCE, {
    eval: true,
    workerData: {
      control: control.buffer,
      state: state.buffer,
      fds: fds.buffer,
      sendIdx: sendIdx.buffer,
      sendAt: sendAt.buffer,
      requests,
      baseS,
      baseNs,
      startNs,
      periodNs,
      spinNs,
      total,
    },
  });
  let senderDone = false;
  sender.on("message", () => {
    senderDone = true;
  });
  sender.on("error", (e) => {
    senderDone = true;
    process.stderr.write(`open-loop: the sender thread failed: ${e.message}\n`);
  });

  // Wait for the timetable to end, then for the answers (at most drainMs more), or with onWindow until the
  // last window is out. Meanwhile fail the requests past their timeout, and report the windows that are done.
  const lastDue = startNs + (total - 1) * periodNs;
  const tickMs = live || timeoutNs !== undefined ? 100 : 250;
  await new Promise<void>((resolve) => {
    const check = () => {
      const t = now();
      if (timeoutNs !== undefined) expire(t, timeoutNs);
      if (live) flush(t, false);
      let busy = 0;
      for (let c = 0; c < n; c++) if (Atomics.load(state, c) === BUSY) busy++;
      if ((senderDone && busy === 0) || (live && nextClose >= windowCount) || t > lastDue + o.drainMs * 1e6)
        return resolve();
      setTimeout(check, t < lastDue ? Math.min(tickMs, (lastDue - t) / 1e6 + 1) : 5);
    };
    check();
  });
  stopping = true;
  Atomics.store(control, STOP, 1);
  Atomics.notify(control, STOP);
  Atomics.add(control, GEN, 1);
  Atomics.notify(control, GEN);
  await sender.terminate();
  // What is still open is closed now: requests unsent or unanswered count as unfinished in their window.
  flush(now(), true);
  for (const c of conns) c.socket?.destroy();

  const completed = totals.good + totals.bad;
  return {
    rate: o.rate,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: n,
    hosts: o.hosts.length,
    scheduled: measured,
    completed,
    achievedRps: Math.round((completed / o.durationS) * 10) / 10,
    errors: {
      status: totals.bad,
      connection: totals.connection,
      parse: parseErrors,
      unfinished: measured - totals.done,
      timeout: totals.timeout,
    },
    latency: percentiles(latency),
    histogram: latency.toJSON(),
    windows: closed,
    sendLag: percentiles(lag),
    reconnects,
    writeErrors: Atomics.load(control, WRITE_ERRORS),
    sent: Atomics.load(control, NEXT),
    late,
  };
}
