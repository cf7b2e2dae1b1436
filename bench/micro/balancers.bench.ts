// Balancer simulation in the spirit of Finagle's: ten replicas, one slow and one failing, on virtual time.
//
//   npm run bench:balancers                 # Markdown table of p50, p99, max and errors per balancer
//   npm run bench:balancers -- --seconds 120 --rate 1200 --json
//
// Every balancer kind runs the same seeded scenario with the proxy's own balancer and failure accrual code
// (src/balancer, src/liveness), so the figures compare algorithms, not machines. Each replica has 4 workers and
// a queue; service times are exponential with a mean of 20 ms. One replica is 500 ms slower, one fails every
// request at once (after 1 ms). Requests arrive as a Poisson stream. Failure accrual is Linkerd's default
// (5 consecutive failures, then 5 s to 300 s); there are no retries, so every request that reaches the failing
// replica is an error.

import { parseArgs } from "node:util";
import type { Balancer } from "../../src/balancer/balancer.ts";
import { aperture, type BalancerFactory, ewma, heap, p2c, roundRobin } from "../../src/balancer/kinds.ts";
import type { BalancerNode, LatencyEwma } from "../../src/balancer/node.ts";
import { type Random, seededRandom } from "../../src/balancer/random.ts";
import type { FailureAccrual } from "../../src/liveness/failure-accrual.ts";
import { DEFAULT_ACCRUAL } from "../../src/liveness/kinds.ts";

interface Options {
  readonly seconds: number;
  readonly rate: number;
  readonly seed: number;
  readonly json: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      rate: { type: "string", default: "1200" },
      seed: { type: "string", default: "7" },
      json: { type: "boolean", default: false },
    },
  });
  return {
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    seed: Number(values.seed),
    json: values.json === true,
  };
}

const REPLICAS = 10;
const WORKERS = 4;
const MEAN_MS = 20;
const SLOW_EXTRA_MS = 500;
const FAIL_MS = 1;

/** A simulated replica: a balancer node with a few workers and a queue. */
class Replica implements BalancerNode {
  readonly name: string;
  readonly weight = 1;
  load = 0;
  latency: LatencyEwma | undefined;
  readonly accrual: FailureAccrual | undefined;
  readonly slow: boolean;
  readonly failing: boolean;
  busy = 0;
  readonly queue: Request[] = [];
  served = 0;

  constructor(name: string, random: Random, slow: boolean, failing: boolean) {
    this.name = name;
    this.accrual = DEFAULT_ACCRUAL.make(random);
    this.slow = slow;
    this.failing = failing;
  }

  isOpen(now: number): boolean {
    return this.accrual === undefined || this.accrual.isOpen(now);
  }
}

interface Request {
  readonly arrived: number;
  readonly replica: Replica;
}

/** A min-heap of events by time. */
class Events {
  readonly #times: number[] = [];
  readonly #items: (() => void)[] = [];

  get size(): number {
    return this.#times.length;
  }

  push(time: number, run: () => void): void {
    const t = this.#times;
    const it = this.#items;
    let i = t.length;
    t.push(time);
    it.push(run);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((t[p] as number) <= time) break;
      t[i] = t[p] as number;
      it[i] = it[p] as () => void;
      i = p;
    }
    t[i] = time;
    it[i] = run;
  }

  pop(): [number, () => void] {
    const t = this.#times;
    const it = this.#items;
    const top: [number, () => void] = [t[0] as number, it[0] as () => void];
    const lastT = t.pop() as number;
    const lastI = it.pop() as () => void;
    if (t.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= t.length) break;
        const r = l + 1;
        const c = r < t.length && (t[r] as number) < (t[l] as number) ? r : l;
        if ((t[c] as number) >= lastT) break;
        t[i] = t[c] as number;
        it[i] = it[c] as () => void;
        i = c;
      }
      t[i] = lastT;
      it[i] = lastI;
    }
    return top;
  }
}

interface Result {
  readonly balancer: string;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly errorRate: number;
  readonly slowShare: number;
  readonly failingShare: number;
}

function simulate(factory: BalancerFactory, o: Options): Result {
  const random = seededRandom(o.seed);
  const replicas = Array.from({ length: REPLICAS }, (_, i) => new Replica(`r${i}`, random, i === 0, i === 1));
  const balancer: Balancer<Replica> = factory.make<Replica>(random);
  balancer.update(replicas);
  const events = new Events();
  const latencies: number[] = [];
  let errors = 0;
  const end = o.seconds * 1000;
  const exp = (mean: number) => -Math.log(1 - random()) * mean;

  const startWork = (req: Request, now: number) => {
    const r = req.replica;
    r.busy++;
    const service = r.failing ? FAIL_MS : exp(MEAN_MS) + (r.slow ? SLOW_EXTRA_MS : 0);
    events.push(now + service, () => finish(req, now + service));
  };
  const finish = (req: Request, now: number) => {
    const r = req.replica;
    r.busy--;
    r.served++;
    const latency = now - req.arrived;
    balancer.finished(r, now, latency);
    if (r.failing) {
      r.accrual?.failed(now);
      errors++;
    } else {
      r.accrual?.succeeded(now);
    }
    latencies.push(latency);
    const next = r.queue.shift();
    if (next !== undefined) startWork(next, now);
  };
  const arrive = (now: number) => {
    const r = balancer.pick(now) as Replica;
    r.accrual?.started(now);
    balancer.started(r, now);
    const req = { arrived: now, replica: r };
    if (r.busy < WORKERS) startWork(req, now);
    else r.queue.push(req);
    const next = now + exp(1000 / o.rate);
    if (next < end) events.push(next, () => arrive(next));
  };
  events.push(0, () => arrive(0));
  while (events.size > 0) events.pop()[1]();

  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? 0;
  const total = latencies.length;
  return {
    balancer: factory.kind,
    requests: total,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[total - 1] ?? 0,
    errorRate: errors / total,
    slowShare: (replicas[0] as Replica).served / total,
    failingShare: (replicas[1] as Replica).served / total,
  };
}

function main(): void {
  const o = options();
  const kinds = [p2c(), ewma(), aperture(), heap(), roundRobin()];
  const results = kinds.map((k) => simulate(k, o));
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ options: o, results }, null, 2)}\n`);
    return;
  }
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `Balancer simulation: ${REPLICAS} replicas (${WORKERS} workers each, exponential service times, mean ${MEAN_MS} ms), ` +
      `one ${SLOW_EXTRA_MS} ms slower, one failing every request; Poisson arrivals at ${o.rate} rps for ${o.seconds} s ` +
      `of virtual time; Linkerd's default failure accrual; no retries; seed ${o.seed}.`,
    "",
    "| balancer | requests | p50 ms | p99 ms | max ms | errors | to the slow replica | to the failing one |",
    "| -------- | -------: | -----: | -----: | -----: | -----: | ------------------: | -----------------: |",
    ...results.map(
      (r) =>
        `| ${r.balancer} | ${r.requests} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${pct(r.errorRate)} | ${pct(r.slowShare)} | ${pct(r.failingShare)} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main();
