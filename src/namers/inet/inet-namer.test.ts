import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Activity,
  Addr,
  BoundName,
  type Name,
  NameTree,
  Path,
  readPath,
  type Timers,
} from "../../naming/index.ts";
import { InetNamer } from "./inet-namer.ts";
import type { HostLookup } from "./resolver.ts";

class FakeTimers implements Timers {
  readonly pending = new Map<number, () => void>();
  #next = 1;
  setTimeout(f: () => void): unknown {
    const id = this.#next++;
    this.pending.set(id, f);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const f of due) f();
  }
}

const neverLookup: HostLookup = () => {
  throw new Error("an IP literal must not be looked up");
};

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The bound leaf a lookup gives, failing the test if it gives anything else. */
function boundLeaf(activity: Activity<NameTree<Name>>): BoundName {
  const s = activity.sample();
  assert.equal(s.kind, "ok", s.kind === "failed" ? s.error.message : "pending");
  assert.ok(s.kind === "ok");
  assert.equal(s.value.kind, "leaf");
  assert.ok(s.value.kind === "leaf");
  const name = s.value.value;
  assert.ok(name instanceof BoundName, "the leaf is bound");
  return name;
}

function lookup(namer: InetNamer, path: string): Activity<NameTree<Name>> {
  return namer.lookup(readPath(path));
}

const inet = new InetNamer("inet", { lookup: neverLookup, timers: new FakeTimers() });

describe("InetNamer (/$/inet)", () => {
  test("<host>/<port> binds to host:port, the id being /$/inet/<host>/<port>", () => {
    const b = boundLeaf(lookup(inet, "/10.1.2.3/8080"));
    assert.equal(b.id.show, "/$/inet/10.1.2.3/8080");
    assert.ok(b.residual.isEmpty);
    assert.equal(Addr.describe(b.addr.sample()), "10.1.2.3:8080");
  });

  test("whatever follows the port is the residual, not part of the id", () => {
    const b = boundLeaf(lookup(inet, "/10.1.2.3/8080/users/list"));
    assert.equal(b.id.show, "/$/inet/10.1.2.3/8080");
    assert.equal(b.residual.show, "/users/list");
  });

  test("<port> alone binds to 127.0.0.1", () => {
    const b = boundLeaf(lookup(inet, "/4140"));
    assert.equal(b.id.show, "/$/inet/4140");
    assert.ok(b.residual.isEmpty);
    assert.equal(Addr.describe(b.addr.sample()), "127.0.0.1:4140");
  });

  test("<port> then a residual that is not a port", () => {
    const b = boundLeaf(lookup(inet, "/4140/foo/bar"));
    assert.equal(b.id.show, "/$/inet/4140");
    assert.equal(b.residual.show, "/foo/bar");
    assert.equal(Addr.describe(b.addr.sample()), "127.0.0.1:4140");
  });

  test("127.1 binds to 127.0.0.1, as in Linkerd's seed config /$/inet/127.1/8002", () => {
    const b = boundLeaf(lookup(inet, "/127.1/8002"));
    assert.equal(b.id.show, "/$/inet/127.1/8002", "the id keeps the path as written");
    assert.deepEqual(Addr.toJSON(b.addr.sample()), {
      type: "bound",
      addrs: [{ ip: "127.0.0.1", port: 8002, meta: {} }],
      meta: {},
    });
  });

  test("an IPv6 literal host", () => {
    const b = boundLeaf(lookup(inet, "/::1/8080"));
    assert.equal(Addr.describe(b.addr.sample()), "[::1]:8080");
  });

  test("two numbers are host then port", () => {
    const b = boundLeaf(lookup(inet, "/2130706433/80"));
    assert.equal(b.id.show, "/$/inet/2130706433/80");
    assert.equal(Addr.describe(b.addr.sample()), "127.0.0.1:80");
  });

  test("a port out of range fails the lookup", () => {
    for (const path of ["/10.0.0.1/65536", "/10.0.0.1/99999/rest", "/65536", "/70000/foo"]) {
      const s = lookup(inet, path).sample();
      assert.equal(s.kind, "failed", path);
      assert.ok(s.kind === "failed" && /port out of range/.test(s.error.message), path);
    }
  });

  test("the failure names the namer and the path", () => {
    const s = lookup(inet, "/10.0.0.1/65536").sample();
    assert.ok(s.kind === "failed");
    assert.match(s.error.message, /\/\$\/inet\/10\.0\.0\.1\/65536/);
  });

  test("the empty path, or a host without a port, is Neg", () => {
    const empty = inet.lookup(Path.empty).sample();
    assert.ok(empty.kind === "ok" && empty.value.kind === "neg");
    const noPort = lookup(inet, "/example.com").sample();
    assert.ok(noPort.kind === "ok" && noPort.value.kind === "neg");
    const notAPort = lookup(inet, "/example.com/http").sample();
    assert.ok(notAPort.kind === "ok" && notAPort.value.kind === "neg");
  });

  test("a host name is resolved while the addr is observed, and re-resolved on the timer", async () => {
    const timers = new FakeTimers();
    const hosts: string[] = [];
    let answer = ["10.0.0.1"];
    const namer = new InetNamer("inet", {
      lookup: async (host) => {
        hosts.push(host);
        return answer;
      },
      timers,
    });
    const b = boundLeaf(lookup(namer, "/svc.example/80/rest"));
    assert.equal(b.id.show, "/$/inet/svc.example/80");
    assert.equal(b.residual.show, "/rest");
    assert.equal(hosts.length, 0, "nothing is looked up before the addr is observed");
    const seen: string[] = [];
    const sub = b.addr.observe((a) => seen.push(Addr.describe(a)));
    await flush();
    answer = ["10.0.0.2"];
    timers.fireAll();
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.1:80", "10.0.0.2:80"]);
    assert.deepEqual(hosts, ["svc.example", "svc.example"]);
    sub.close();
    assert.equal(timers.pending.size, 0);
  });
});

describe("InetNamer (/$/fixedinet)", () => {
  test("binds like inet, with a /$/fixedinet id", () => {
    const fixed = new InetNamer("fixedinet", { lookup: neverLookup, timers: new FakeTimers() });
    const b = boundLeaf(lookup(fixed, "/127.1/9990/admin"));
    assert.equal(b.id.show, "/$/fixedinet/127.1/9990");
    assert.equal(b.residual.show, "/admin");
    assert.equal(Addr.describe(b.addr.sample()), "127.0.0.1:9990");
    assert.equal(boundLeaf(lookup(fixed, "/9990")).id.show, "/$/fixedinet/9990");
  });

  test("looks a host name up once only", async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const fixed = new InetNamer("fixedinet", {
      lookup: async () => {
        calls++;
        return ["10.9.9.9"];
      },
      timers,
    });
    const b = boundLeaf(lookup(fixed, "/svc.example/80"));
    const seen: string[] = [];
    const sub = b.addr.observe((a) => seen.push(Addr.describe(a)));
    await flush();
    assert.deepEqual(seen, ["pending", "10.9.9.9:80"]);
    assert.equal(timers.pending.size, 0, "no refresh is scheduled");
    sub.close();
    assert.equal(calls, 1);
  });

  test("a port out of range fails", () => {
    const fixed = new InetNamer("fixedinet", { lookup: neverLookup, timers: new FakeTimers() });
    const s = lookup(fixed, "/10.0.0.1/65536").sample();
    assert.ok(s.kind === "failed");
    assert.match(s.error.message, /port out of range in \/\$\/fixedinet/);
  });

  test("Neg when it is not a host and port", () => {
    const fixed = new InetNamer("fixedinet", { lookup: neverLookup, timers: new FakeTimers() });
    const s = lookup(fixed, "/just-a-name").sample();
    assert.ok(s.kind === "ok");
    assert.equal(NameTree.show(s.value, String), "~");
  });
});
