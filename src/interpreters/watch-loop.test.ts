import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Timers } from "../naming/index.ts";
import { retryDelayMs } from "./retry.ts";
import { type PollAnswer, startWatch } from "./watch-loop.ts";

/** Timers that fire only when the test says so. */
function fakeTimers() {
  let next = 1;
  const pending = new Map<number, { f: () => void; ms: number }>();
  const timers: Timers = {
    setTimeout: (f, ms) => {
      const id = next++;
      pending.set(id, { f, ms });
      return id;
    },
    clearTimeout: (h) => {
      pending.delete(h as number);
    },
  };
  return {
    timers,
    delays: () => [...pending.values()].map((p) => p.ms),
    fireAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const p of due) p.f();
    },
  };
}

/** A scripted namerd: each poll waits until the test answers it. */
function scriptedPolls() {
  const calls: {
    stamp: string;
    answer: (a: PollAnswer<string>) => void;
    fail: (e: Error) => void;
    signal: AbortSignal;
  }[] = [];
  const poll = (stamp: Uint8Array, signal: AbortSignal) =>
    new Promise<PollAnswer<string>>((answer, fail) => {
      calls.push({ stamp: Buffer.from(stamp).toString("hex"), answer, fail, signal });
    });
  return { calls, poll };
}

const tick = () => new Promise((r) => setImmediate(r));
const stamp = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));

describe("retry delays", () => {
  test("the first wait is baseSeconds, then jittered up to base × 2^n, never above maxSeconds", () => {
    const r = { baseSeconds: 5, maxSeconds: 600 };
    assert.equal(
      retryDelayMs(r, 0, () => 0.5),
      5000,
    );
    assert.equal(
      retryDelayMs(r, 1, () => 1),
      10_000,
    );
    assert.equal(
      retryDelayMs(r, 3, () => 0.5),
      20_000,
    );
    assert.equal(
      retryDelayMs(r, 20, () => 1),
      600_000,
    );
    assert.ok(retryDelayMs(r, 2, () => 0) >= 1);
  });
});

describe("the long-poll watch", () => {
  function setup() {
    const t = fakeTimers();
    const p = scriptedPolls();
    const values: string[] = [];
    const failures: string[] = [];
    let wake: (() => void) | undefined;
    const watch = startWatch({
      poll: p.poll,
      onValue: (v) => values.push(v),
      onFailure: (r) => failures.push(r),
      retry: { baseSeconds: 2, maxSeconds: 8 },
      onReconnect: (f) => {
        wake = f;
        return () => {
          wake = undefined;
        };
      },
      timers: t.timers,
      now: () => 0,
      random: () => 1,
    });
    return { t, p, values, failures, watch, wake: () => wake?.() };
  }

  test("each answer's stamp goes with the next poll, at once", async () => {
    const { p, values, watch } = setup();
    assert.equal(p.calls[0]?.stamp, "", "the first poll has no stamp");
    p.calls[0]?.answer({ kind: "value", stamp: stamp("01"), value: "a" });
    await tick();
    assert.deepEqual(values, ["a"]);
    assert.equal(p.calls[1]?.stamp, "01");
    p.calls[1]?.answer({ kind: "value", stamp: stamp("02"), value: "b" });
    await tick();
    assert.deepEqual(values, ["a", "b"]);
    assert.equal(p.calls[2]?.stamp, "02");
    assert.equal(watch.state().state, "ok");
    watch.close();
    assert.equal(p.calls[2]?.signal.aborted, true, "closing gives up the poll in flight");
  });

  test("a transport error keeps the value, backs off, and starts over with no stamp", async () => {
    const { t, p, values, failures, watch } = setup();
    p.calls[0]?.answer({ kind: "value", stamp: stamp("01"), value: "a" });
    await tick();
    p.calls[1]?.fail(new Error("connection reset"));
    await tick();
    assert.deepEqual(values, ["a"]);
    assert.deepEqual(failures, []);
    assert.deepEqual(t.delays(), [2000]);
    assert.equal(watch.state().lastError, "connection reset");
    t.fireAll();
    assert.equal(p.calls[2]?.stamp, "", "namerd may have restarted: ask afresh");
    p.calls[2]?.fail(new Error("refused"));
    await tick();
    assert.deepEqual(t.delays(), [4000], "the next wait is longer");
    watch.close();
  });

  test("namerd coming back wakes a watch waiting out its backoff", async () => {
    const { t, p, wake, watch } = setup();
    p.calls[0]?.fail(new Error("refused"));
    await tick();
    assert.equal(t.delays().length, 1);
    wake();
    assert.equal(t.delays().length, 0, "its timer is cancelled");
    assert.equal(p.calls.length, 2, "and it polls at once");
    watch.close();
  });

  test("a failure with its own stamp is waited on at once; one without backs off with the last good stamp", async () => {
    const { t, p, failures, watch } = setup();
    p.calls[0]?.answer({ kind: "value", stamp: stamp("01"), value: "a" });
    await tick();
    p.calls[1]?.answer({ kind: "failure", reason: "dtab namespace x does not exist", stamp: stamp("07") });
    await tick();
    assert.deepEqual(failures, ["dtab namespace x does not exist"]);
    assert.equal(p.calls[2]?.stamp, "07");
    assert.deepEqual(t.delays(), []);
    p.calls[2]?.answer({ kind: "failure", reason: "still", stamp: stamp("07") });
    await tick();
    assert.deepEqual(t.delays(), [2000], "the same stamp again (a server that echoes it): back off");
    t.fireAll();
    assert.equal(p.calls[3]?.stamp, "07");
    watch.close();
  });
});
