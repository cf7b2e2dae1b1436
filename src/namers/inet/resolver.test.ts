import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Addr, type Closable, type Timers, type Var } from "../../naming/index.ts";
import { DEFAULT_REFRESH_MS, type HostLookup, resolveHostPort } from "./resolver.ts";

/** Timers that only fire when the test advances the clock. */
class FakeTimers implements Timers {
  now = 0;
  #next = 1;
  readonly pending = new Map<number, { at: number; f: () => void }>();

  setTimeout(f: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, f });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** When the next timer is due, relative to now. */
  get nextIn(): number | undefined {
    const ats = [...this.pending.values()].map((t) => t.at - this.now);
    return ats.length === 0 ? undefined : Math.min(...ats);
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.now || !this.pending.has(id)) continue;
      this.pending.delete(id);
      t.f();
    }
  }
}

/** A host lookup whose answers the test gives, one call at a time. */
class FakeLookup {
  readonly calls: { host: string; resolve: (ips: string[]) => void; reject: (e: unknown) => void }[] = [];
  readonly fn: HostLookup = (host) =>
    new Promise<string[]>((resolve, reject) => {
      this.calls.push({ host, resolve, reject });
    });

  get last() {
    const c = this.calls.at(-1);
    assert.ok(c, "a lookup was made");
    return c;
  }
}

const neverLookup: HostLookup = () => {
  throw new Error("an IP literal must not be looked up");
};

function dnsError(code: string, message = `getaddrinfo ${code} svc.example`): Error {
  return Object.assign(new Error(message), { code });
}

/** Lets the lookup's promise continuation run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function record(v: Var<Addr>): { seen: string[]; sub: Closable } {
  const seen: string[] = [];
  const sub = v.observe((a) => seen.push(Addr.describe(a)));
  return { seen, sub };
}

function setup(refresh = true, refreshMs?: number) {
  const timers = new FakeTimers();
  const lookup = new FakeLookup();
  const v = resolveHostPort("svc.example", 8080, refresh, {
    lookup: lookup.fn,
    timers,
    ...(refreshMs === undefined ? {} : { refreshMs }),
  });
  return { timers, lookup, v };
}

describe("resolveHostPort: IP literals", () => {
  test("an IPv4 literal is bound at once, with no lookup and no timer", () => {
    const timers = new FakeTimers();
    const v = resolveHostPort("10.0.0.1", 80, true, { lookup: neverLookup, timers });
    const { seen, sub } = record(v);
    assert.deepEqual(seen, ["10.0.0.1:80"]);
    sub.close();
    assert.equal(timers.pending.size, 0);
  });

  test("a short-form IPv4 literal is bound as its dotted quad", () => {
    const v = resolveHostPort("127.1", 8002, true, { lookup: neverLookup, timers: new FakeTimers() });
    const a = v.sample();
    assert.deepEqual(Addr.toJSON(a), {
      type: "bound",
      addrs: [{ ip: "127.0.0.1", port: 8002, meta: {} }],
      meta: {},
    });
  });

  test("an IPv6 literal is bound at once", () => {
    const v = resolveHostPort("::1", 443, false, { lookup: neverLookup, timers: new FakeTimers() });
    assert.equal(Addr.describe(v.sample()), "[::1]:443");
  });
});

describe("resolveHostPort: names", () => {
  test("Pending until the lookup answers, then Bound with every address, sorted and without repeats", async () => {
    const { lookup, v } = setup();
    const { seen, sub } = record(v);
    assert.deepEqual(seen, ["pending"]);
    assert.equal(lookup.calls.length, 1);
    assert.equal(lookup.last.host, "svc.example");
    lookup.last.resolve(["10.0.0.2", "10.0.0.1", "10.0.0.2"]);
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:8080, 10.0.0.2:8080"]);
    sub.close();
  });

  test("a name that does not exist is Neg", async () => {
    for (const code of ["ENOTFOUND", "ENODATA"]) {
      const { lookup, v } = setup();
      const { seen, sub } = record(v);
      lookup.last.reject(dnsError(code));
      await flush();
      assert.deepEqual(seen, ["pending", "neg"], code);
      sub.close();
    }
  });

  test("any other lookup error is Failed, saying which host", async () => {
    const { lookup, v } = setup();
    const { seen, sub } = record(v);
    lookup.last.reject(dnsError("ESERVFAIL", "queryA ESERVFAIL svc.example"));
    await flush();
    assert.equal(seen.length, 2);
    assert.match(seen[1] as string, /^failed: .*svc\.example.*ESERVFAIL/);
    sub.close();
  });

  test("an error without a code is Failed too", async () => {
    const { lookup, v } = setup();
    const { seen, sub } = record(v);
    lookup.last.reject(new Error("resolver exploded"));
    await flush();
    assert.match(seen.at(-1) as string, /^failed: .*resolver exploded/);
    sub.close();
  });

  test("every observer shares one lookup and sees the answer", async () => {
    const { lookup, v } = setup();
    const a = record(v);
    const b = record(v);
    assert.equal(lookup.calls.length, 1);
    lookup.last.resolve(["10.1.1.1"]);
    await flush();
    assert.deepEqual(a.seen, ["pending", "10.1.1.1:8080"]);
    assert.deepEqual(b.seen, ["pending", "10.1.1.1:8080"]);
    a.sub.close();
    b.sub.close();
  });
});

describe("resolveHostPort: refresh", () => {
  test("looks the name up again every DEFAULT_REFRESH_MS by default", async () => {
    const { timers, lookup, v } = setup();
    const { sub } = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    assert.equal(timers.nextIn, DEFAULT_REFRESH_MS);
    assert.equal(DEFAULT_REFRESH_MS, 5000);
    timers.advance(DEFAULT_REFRESH_MS - 1);
    assert.equal(lookup.calls.length, 1);
    timers.advance(1);
    assert.equal(lookup.calls.length, 2);
    sub.close();
  });

  test("publishes what a refresh finds when it changed, and nothing when it did not", async () => {
    const { timers, lookup, v } = setup(true, 1000);
    const { seen, sub } = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    timers.advance(1000);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:8080"], "the same answer is not published again");
    timers.advance(1000);
    assert.equal(lookup.calls.length, 3);
    lookup.last.resolve(["10.0.0.3", "10.0.0.1"]);
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:8080", "10.0.0.1:8080, 10.0.0.3:8080"]);
    sub.close();
  });

  test("a failed refresh keeps the last good Addr and tries again later", async () => {
    const { timers, lookup, v } = setup(true, 1000);
    const { seen, sub } = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    timers.advance(1000);
    lookup.last.reject(dnsError("ESERVFAIL"));
    await flush();
    timers.advance(1000);
    lookup.last.reject(dnsError("ENOTFOUND"));
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:8080"]);
    assert.equal(Addr.describe(v.sample()), "10.0.0.1:8080");
    assert.equal(timers.nextIn, 1000, "it keeps refreshing");
    timers.advance(1000);
    lookup.last.resolve(["10.0.0.9"]);
    await flush();
    assert.equal(seen.at(-1), "10.0.0.9:8080");
    sub.close();
  });

  test("a name that did not exist is picked up by a later refresh", async () => {
    const { timers, lookup, v } = setup(true, 1000);
    const { seen, sub } = record(v);
    lookup.last.reject(dnsError("ENOTFOUND"));
    await flush();
    timers.advance(1000);
    lookup.last.resolve(["10.0.0.5"]);
    await flush();
    assert.deepEqual(seen, ["pending", "neg", "10.0.0.5:8080"]);
    sub.close();
  });

  test("closing the last observer stops the timer: no more lookups", async () => {
    const { timers, lookup, v } = setup(true, 1000);
    const a = record(v);
    const b = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    a.sub.close();
    assert.equal(timers.pending.size, 1, "still refreshing for the other observer");
    b.sub.close();
    assert.equal(timers.pending.size, 0, "the refresh timer is cleared");
    timers.advance(60_000);
    await flush();
    assert.equal(lookup.calls.length, 1);
  });

  test("closing while a lookup is in flight drops its answer and schedules nothing", async () => {
    const { timers, lookup, v } = setup(true, 1000);
    const { seen, sub } = record(v);
    sub.close();
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    assert.deepEqual(seen, ["pending"]);
    assert.equal(timers.pending.size, 0);
    timers.advance(60_000);
    assert.equal(lookup.calls.length, 1);
  });

  test("observing again after everyone left starts over from Pending with a fresh lookup", async () => {
    const { lookup, v } = setup(true, 1000);
    const first = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    first.sub.close();
    const again = record(v);
    assert.deepEqual(again.seen, ["pending"]);
    assert.equal(lookup.calls.length, 2);
    lookup.last.resolve(["10.0.0.2"]);
    await flush();
    assert.deepEqual(again.seen, ["pending", "10.0.0.2:8080"]);
    again.sub.close();
  });
});

describe("resolveHostPort: fixed (no refresh)", () => {
  test("looks the name up once and sets no timer", async () => {
    const { timers, lookup, v } = setup(false, 1000);
    const { seen, sub } = record(v);
    lookup.last.resolve(["10.0.0.1"]);
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:8080"]);
    assert.equal(timers.pending.size, 0);
    timers.advance(60_000);
    await flush();
    assert.equal(lookup.calls.length, 1);
    sub.close();
  });

  test("a failure is final too", async () => {
    const { timers, lookup, v } = setup(false, 1000);
    const { seen, sub } = record(v);
    lookup.last.reject(dnsError("ENOTFOUND"));
    await flush();
    assert.deepEqual(seen, ["pending", "neg"]);
    assert.equal(timers.pending.size, 0);
    assert.equal(lookup.calls.length, 1);
    sub.close();
  });
});
