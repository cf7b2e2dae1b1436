// Each balancer's picks on an injected clock and random source: p2c, ewma, aperture, heap, roundRobin, weights.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Balancer } from "./balancer.ts";
import { aperture, ewma, heap, p2c, roundRobin } from "./kinds.ts";
import type { BalancerNode, LatencyEwma } from "./node.ts";
import { scriptedRandom, seededRandom } from "./random.ts";

class TestNode implements BalancerNode {
  readonly name: string;
  weight: number;
  load = 0;
  open = true;
  latency: LatencyEwma | undefined;
  constructor(name: string, weight = 1) {
    this.name = name;
    this.weight = weight;
  }
  isOpen(): boolean {
    return this.open;
  }
}

function nodes(...names: string[]): TestNode[] {
  return names.map((n) => new TestNode(n));
}

/** How many of `count` picks (each started and finished at once) go to each node. */
function shares(b: Balancer<TestNode>, count: number, now = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const n = b.pick(now) as TestNode;
    out[n.name] = (out[n.name] ?? 0) + 1;
    b.started(n, now);
    b.finished(n, now, 1);
  }
  return out;
}

describe("p2c (least loaded)", () => {
  it("draws two distinct nodes and takes the one with fewer requests in flight", () => {
    const [a, b, c] = nodes("a", "b", "c") as [TestNode, TestNode, TestNode];
    // Draws: i = floor(0.1 × 3) = 0 (a); j = floor(0.7 × 2) = 1, and 1 >= 0 so j = 2 (c).
    const bal = p2c().make<TestNode>(scriptedRandom([0.1, 0.7]));
    bal.update([a, b, c]);
    a.load = 3;
    c.load = 1;
    assert.equal(bal.pick(0), c);
    c.load = 5;
    assert.equal(bal.pick(0), a);
    c.load = 3;
    assert.equal(bal.pick(0), a, "a tie goes to the first drawn");
  });

  it("prefers an open node to a closed one whatever their loads", () => {
    const [a, b] = nodes("a", "b") as [TestNode, TestNode];
    const bal = p2c().make<TestNode>(seededRandom(1));
    bal.update([a, b]);
    a.open = false;
    b.load = 100;
    for (let i = 0; i < 20; i++) assert.equal(bal.pick(0), b);
  });

  it("compares open nodes with each other: a loaded node drawn with a dead one is not taken for it", () => {
    const dead = new TestNode("dead");
    dead.open = false;
    const heavy = new TestNode("heavy");
    heavy.load = 100;
    const bal = p2c().make<TestNode>(seededRandom(11));
    bal.update([dead, heavy, new TestNode("a"), new TestNode("b")]);
    const s: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const n = bal.pick(0) as TestNode;
      s[n.name] = (s[n.name] ?? 0) + 1;
    }
    assert.equal(s.dead, undefined);
    assert.ok((s.heavy ?? 0) < 20, JSON.stringify(s));
  });

  it("still picks a node when every node is closed (traffic goes somewhere), counting max effort exhausted", () => {
    const all = nodes("a", "b", "c");
    for (const n of all) n.open = false;
    const bal = p2c({ maxEffort: 3 }).make<TestNode>(seededRandom(2));
    bal.update(all);
    const picked = bal.pick(0);
    assert.ok(picked !== undefined && all.includes(picked));
    assert.equal(bal.exhausted, 1);
    assert.equal(p2c().make<TestNode>(Math.random).pick(0), undefined, "only an empty set gives nothing");
  });

  it("spreads idle traffic evenly", () => {
    const bal = p2c().make<TestNode>(seededRandom(3));
    bal.update(nodes("a", "b", "c", "d"));
    const s = shares(bal, 4000);
    for (const k of ["a", "b", "c", "d"])
      assert.ok((s[k] ?? 0) > 800 && (s[k] ?? 0) < 1200, JSON.stringify(s));
  });
});

describe("ewma (peak EWMA)", () => {
  it("avoids a node that answered slowly, then tries it again as its average decays", () => {
    const [fast, slow] = nodes("fast", "slow") as [TestNode, TestNode];
    const bal = ewma({ decayTimeMs: 10_000 }).make<TestNode>(seededRandom(4));
    bal.update([fast, slow]);
    bal.started(fast, 0);
    bal.finished(fast, 5, 5);
    bal.started(slow, 0);
    bal.finished(slow, 500, 500);
    const early = shares(bal, 100, 600);
    assert.equal(
      early.slow,
      undefined,
      `the slow node gets nothing while its cost is high: ${JSON.stringify(early)}`,
    );
    // Two minutes later the slow node's peak has decayed below a fast answer: it is tried again.
    const late = shares(bal, 200, 120_600);
    assert.ok((late.slow ?? 0) > 20, JSON.stringify(late));
  });

  it("penalises a node with requests in flight and no latency known yet", () => {
    const [known, fresh] = nodes("known", "fresh") as [TestNode, TestNode];
    const bal = ewma().make<TestNode>(seededRandom(5));
    bal.update([known, fresh]);
    bal.started(known, 0);
    bal.finished(known, 1000, 1000);
    bal.started(fresh, 1000);
    assert.equal(bal.pick(1000), known, "a one-second node beats one whose first request has not come back");
  });
});

describe("aperture", () => {
  it("sends light traffic to one node, widens as load rises and narrows as it falls", () => {
    const all = nodes("a", "b", "c", "d", "e");
    const bal = aperture({ smoothWindowMs: 1, lowLoad: 0.5, highLoad: 2, minAperture: 1 }).make<TestNode>(
      seededRandom(6),
    );
    bal.update(all);
    assert.equal(bal.aperture, 1);
    const light = shares(bal, 50, 0);
    assert.equal(Object.keys(light).length, 1, `light traffic stays on one node: ${JSON.stringify(light)}`);
    // 12 requests in flight: the aperture grows until the load per node is below 2.
    const inFlight: TestNode[] = [];
    for (let t = 1; t <= 12; t++) {
      const n = bal.pick(t * 10) as TestNode;
      bal.started(n, t * 10);
      inFlight.push(n);
    }
    assert.ok((bal.aperture ?? 0) >= 4, `aperture ${bal.aperture} under 12 requests in flight`);
    assert.ok(new Set(inFlight).size > 1, "the load spread over several nodes");
    const peak = bal.aperture ?? 0;
    for (const [i, n] of inFlight.entries()) bal.finished(n, 200 + i * 10, 1);
    assert.ok((bal.aperture ?? 0) < peak, "it narrows as the load falls");
    // Light traffic again: one step narrower per change of load, down to minAperture.
    for (let t = 400; t < 600; t += 10) {
      const n = bal.pick(t) as TestNode;
      bal.started(n, t);
      bal.finished(n, t + 5, 5);
    }
    assert.equal(bal.aperture, 1, "back to one node under light traffic");
  });

  it("widens at once under a burst, not only as the 5 s average catches up", () => {
    const bal = aperture({ smoothWindowMs: 5000, lowLoad: 0.5, highLoad: 2, minAperture: 1 }).make<TestNode>(
      seededRandom(3),
    );
    bal.update(nodes("a", "b", "c", "d", "e", "f", "g", "h"));
    const picked = new Set<TestNode>();
    // 40 requests in 40 ms, none back yet: on the average alone the window would still be one node wide.
    for (let t = 0; t < 40; t++) {
      const n = bal.pick(t) as TestNode;
      bal.started(n, t);
      picked.add(n);
    }
    assert.equal(bal.aperture, 8, "every node, with 5 requests in flight per node");
    assert.ok(picked.size >= 6, `the burst went to ${picked.size} nodes`);
  });

  it("uses an open node beyond the aperture when those inside are all closed", () => {
    const all = nodes("a", "b", "c");
    const bal = aperture({ minAperture: 1 }).make<TestNode>(seededRandom(7));
    bal.update(all);
    const first = bal.pick(0) as TestNode;
    first.open = false;
    const next = bal.pick(0) as TestNode;
    assert.notEqual(next, first);
    assert.equal(next.open, true);
  });
});

describe("heap (exactly least loaded)", () => {
  it("always takes the node with the fewest requests in flight, going round among equals", () => {
    const [a, b, c] = nodes("a", "b", "c") as [TestNode, TestNode, TestNode];
    const bal = heap().make<TestNode>(Math.random);
    bal.update([a, b, c]);
    a.load = 2;
    b.load = 1;
    c.load = 3;
    assert.equal(bal.pick(0), b);
    b.load = 2;
    c.load = 2;
    const picks = [bal.pick(0), bal.pick(0), bal.pick(0)].map((n) => n?.name);
    assert.deepEqual([...new Set(picks)].sort(), ["a", "b", "c"]);
  });

  it("skips closed nodes unless nothing is open", () => {
    const [a, b] = nodes("a", "b") as [TestNode, TestNode];
    const bal = heap().make<TestNode>(Math.random);
    bal.update([a, b]);
    a.open = false;
    b.load = 50;
    assert.equal(bal.pick(0), b);
    b.open = false;
    assert.ok(bal.pick(0) !== undefined);
  });
});

describe("roundRobin", () => {
  it("goes round the nodes in order, skipping closed ones", () => {
    const [a, b, c] = nodes("a", "b", "c") as [TestNode, TestNode, TestNode];
    const bal = roundRobin().make<TestNode>(Math.random);
    bal.update([a, b, c]);
    assert.deepEqual(
      [0, 1, 2, 3].map(() => bal.pick(0)?.name),
      ["a", "b", "c", "a"],
    );
    b.open = false;
    assert.deepEqual(
      [0, 1, 2].map(() => bal.pick(0)?.name),
      ["c", "a", "c"],
    );
  });
});

describe("weights", () => {
  it("gives each node a share of traffic that follows its weight, with every balancer", () => {
    for (const factory of [p2c(), ewma(), heap(), roundRobin(), aperture({ minAperture: 10 })]) {
      const heavy = new TestNode("heavy", 3);
      const light = new TestNode("light", 1);
      const bal = factory.make<TestNode>(seededRandom(8));
      bal.update([heavy, light]);
      const s = shares(bal, 4000);
      const ratio = (s.heavy ?? 0) / (s.light ?? 1);
      assert.ok(ratio > 2.6 && ratio < 3.4, `${factory.kind}: ${JSON.stringify(s)}`);
    }
  });

  it("sends nothing to weight-0 nodes while any other has weight, and uses them when none has", () => {
    const on = new TestNode("on", 1);
    const off = new TestNode("off", 0);
    const bal = p2c().make<TestNode>(seededRandom(9));
    bal.update([on, off]);
    assert.deepEqual(shares(bal, 200), { on: 200 });
    on.weight = 0;
    bal.update([on, off]);
    assert.equal(
      Object.values(shares(bal, 200)).reduce((x, y) => x + y),
      200,
    );
  });
});
