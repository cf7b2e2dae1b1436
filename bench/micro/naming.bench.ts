// Micro-benchmark of the naming core on a 1,000-entry dtab: parse, show, lookup, bind and delegate rates.
//
//   npm run bench:naming            # Markdown table
//   npm run bench:naming -- --json  # JSON
//
// Each case is warmed up, then timed with process.hrtime.bigint over runs of at least --min-ms milliseconds;
// the median of --runs runs is reported. The aim under test: a lookup in a 1,000-entry dtab in under 50 µs.

import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { GlobalNamer } from "../../src/namers/global.ts";
import {
  type Activity,
  type Closable,
  ConfiguredNamersInterpreter,
  Dentry,
  Dtab,
  NameTree,
  Path,
  Prefix,
  readDtab,
  readPath,
  showPathTree,
} from "../../src/naming/index.ts";

const ENTRIES = 1000;
const LOOKUP_AIM_US = 50;

interface Options {
  json: boolean;
  runs: number;
  minMs: number;
  warmupMs: number;
  filter: string | undefined;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      runs: { type: "string", default: "5" },
      "min-ms": { type: "string", default: "1000" },
      "warmup-ms": { type: "string", default: "300" },
      filter: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "Usage: node bench/micro/naming.bench.ts [--json] [--runs N] [--min-ms MS] [--warmup-ms MS] [--filter TEXT]\n" +
        "  --runs N        timed runs per case; the median is reported (default 5)\n" +
        "  --min-ms MS     minimum timed duration of one run (default 1000)\n" +
        "  --warmup-ms MS  untimed warm-up per case (default 300)\n" +
        "  --filter TEXT   only the cases whose name contains TEXT (e.g. to profile one with node --cpu-prof)\n",
    );
    process.exit(0);
  }
  const num = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`naming.bench: --${name} must be a whole number >= ${min}, got "${text}"\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    json: values.json,
    runs: num("runs", values.runs, 1),
    minMs: num("min-ms", values["min-ms"], 1),
    warmupMs: num("warmup-ms", values["warmup-ms"], 0),
    filter: values.filter,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The dtabs.

/**
 * A dtab for lookups, of exactly ENTRIES entries, shaped like a namerd dtab for a large mesh: a fallback first
 * (lowest precedence), one `/svc/service-N => /#/io.l5d.fs/service-N` entry per service, every 50th service an
 * alternative (`v2 | stable`), every 100th a weighted canary split, and a few `*` wildcard entries in the middle.
 */
function lookupDtabText(): string {
  const lines: string[] = ["/srv => /#/io.l5d.fs;", "/host => /srv;"];
  const wildcards = [
    "/svc/*/canary => /#/io.l5d.fs/canary;",
    "/svc/*/v2 => /srv/v2 | /srv/stable;",
    "/svc/*/*/debug => /$/nil;",
  ];
  const services = ENTRIES - lines.length - wildcards.length;
  for (let n = 0; n < services; n++) {
    if (n === Math.floor(services / 2)) lines.push(...wildcards);
    const name = `service-${n}`;
    if (n % 100 === 50) {
      lines.push(`/svc/${name} => 0.9 * /#/io.l5d.fs/${name} & 0.1 * /#/io.l5d.fs/${name}-canary;`);
    } else if (n % 50 === 25) {
      lines.push(`/svc/${name} => /#/io.l5d.fs/${name}-v2 | /#/io.l5d.fs/${name};`);
    } else {
      lines.push(`/svc/${name} => /#/io.l5d.fs/${name};`);
    }
  }
  return lines.join("\n");
}

/**
 * A dtab for binding, of exactly ENTRIES entries, whose services end at IP literals (`/$/inet/127.0.0.1/<port>`)
 * so that no DNS is involved: requests come in as `/http/1.1/<method>/<service>`, are routed to `/svc/<service>`,
 * and each service has its own address (every 50th an alternative whose first branch binds to nothing).
 */
function bindDtabText(): string {
  const lines: string[] = [
    "/svc => /#/io.l5d.fs;",
    "/http/1.1/* => /svc;",
    "/svc/*/canary => /$/inet/127.0.0.1/9000;",
  ];
  const services = ENTRIES - lines.length;
  for (let n = 0; n < services; n++) {
    const name = `service-${n}`;
    const port = 10000 + n;
    if (n % 50 === 0) lines.push(`/svc/${name} => /srv/missing/${name} | /$/inet/127.0.0.1/${port};`);
    else lines.push(`/svc/${name} => /$/inet/127.0.0.1/${port};`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// Timing.

/** Written by every operation so that the optimiser cannot drop the work. */
let sink: unknown;

interface Case {
  readonly name: string;
  /** One operation; `i` counts operations within a batch. */
  readonly op: (i: number) => unknown;
  /** A fixed batch size, with untimed preparation before each batch (for operations that consume their input). */
  readonly batch?: { size: number; prepare: () => void };
}

interface Result {
  readonly name: string;
  readonly opsPerSec: number;
  readonly usPerOp: number;
  readonly runs: { ops: number; ns: number; usPerOp: number }[];
}

/** Runs batches of `c` until at least `minNs` of timed work is done; returns the operations done and the time. */
function timeRun(c: Case, minNs: bigint, batchSize: number): { ops: number; ns: bigint } {
  let ops = 0;
  let ns = 0n;
  const op = c.op;
  while (ns < minNs) {
    const size = c.batch ? c.batch.size : batchSize;
    c.batch?.prepare();
    const start = process.hrtime.bigint();
    for (let i = 0; i < size; i++) sink = op(i);
    ns += process.hrtime.bigint() - start;
    ops += size;
  }
  return { ops, ns };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function measure(c: Case, o: Options): Result {
  // Warm-up (untimed for the report), which also sizes the batches to roughly 5 ms between clock reads.
  const warm = timeRun(c, BigInt(Math.max(1, o.warmupMs)) * 1_000_000n, 1);
  const nsPerOp = Number(warm.ns) / warm.ops;
  const batchSize = Math.max(1, Math.min(1_000_000, Math.round(5_000_000 / Math.max(nsPerOp, 1))));
  const runs: Result["runs"] = [];
  for (let r = 0; r < o.runs; r++) {
    const { ops, ns } = timeRun(c, BigInt(o.minMs) * 1_000_000n, batchSize);
    runs.push({ ops, ns: Number(ns), usPerOp: Number(ns) / 1000 / ops });
  }
  const usPerOp = median(runs.map((r) => r.usPerOp));
  return { name: c.name, opsPerSec: 1e6 / usPerOp, usPerOp, runs };
}

// ---------------------------------------------------------------------------------------------------------
// The cases.

/** Observes an activity until it is Ok, then closes the observation: one full, cold evaluation. */
function untilOk<T>(activity: Activity<T>): T {
  let value: T | undefined;
  let ok = false;
  let failure: Error | undefined;
  const sub: Closable = activity.states.observe((s) => {
    if (s.kind === "ok") {
      ok = true;
      value = s.value;
    } else if (s.kind === "failed") {
      failure = s.error;
    }
  });
  sub.close();
  if (failure) throw failure;
  if (!ok) throw new Error("the activity did not become Ok synchronously (is DNS involved?)");
  return value as T;
}

/** The same dtab built of new objects, so that none of their shown forms is memoised yet. */
function freshCopy(dtab: Dtab): Dtab {
  return new Dtab(
    dtab.dentries.map(
      (d) =>
        new Dentry(
          new Prefix(d.prefix.elems),
          NameTree.map(d.dst, (p) => Path.unsafeOf(p.elems)),
        ),
    ),
  );
}

function check(what: string, actual: string, expected: string): void {
  if (actual !== expected) throw new Error(`naming.bench: ${what}: expected ${expected}, got ${actual}`);
}

function cases(): { cases: Case[]; lookupCases: string[] } {
  const lookupText = lookupDtabText();
  const lookupDtab = readDtab(lookupText);
  const bindText = bindDtabText();
  const bindDtab = readDtab(bindText);
  check("lookup dtab size", String(lookupDtab.size), String(ENTRIES));
  check("bind dtab size", String(bindDtab.size), String(ENTRIES));

  // Show: the shown forms of paths, prefixes, dentries and dtabs are memoised, so showing one dtab again costs a
  // field read. The case shows a pool of fresh copies (rebuilt between batches, untimed), so nothing is memoised.
  const POOL = 64;
  let pool: Dtab[] = [];
  const refill = () => {
    pool = [];
    for (let i = 0; i < POOL; i++) pool.push(freshCopy(lookupDtab));
  };
  refill();
  check("fresh copy", pool[0]!.show, lookupDtab.show);
  check("show round trip", readDtab(lookupDtab.show).show, lookupDtab.show);

  const lookups: [string, string, string][] = [
    ["match near the end", "/svc/service-990/api", "/#/io.l5d.fs/service-990/api"],
    ["match near the start", "/svc/service-1/api", "/#/io.l5d.fs/service-1/api"],
    [
      "`*` wildcard match",
      "/svc/service-500/canary",
      "/#/io.l5d.fs/service-500/canary | /#/io.l5d.fs/canary",
    ],
    ["no match", "/nowhere/service-1/api", "~"],
  ];
  const lookupCases: Case[] = lookups.map(([label, text, expected]) => {
    const path = readPath(text);
    check(`lookup ${text}`, showPathTree(lookupDtab.lookup(path)), expected);
    return { name: `lookup, ${label} (\`${text}\`)`, op: () => lookupDtab.lookup(path) };
  });

  const interpreter = new ConfiguredNamersInterpreter([], new GlobalNamer());
  const bindPath = readPath("/http/1.1/GET/service-990");
  const altPath = readPath("/http/1.1/GET/service-950");
  const boundTo = (p: Path): string => {
    const tree = untilOk(interpreter.bind(bindDtab, p)) as NameTree<{ id: Path }>;
    return tree.kind === "leaf" ? tree.value.id.show : tree.kind;
  };
  check("bind service-990", boundTo(bindPath), "/$/inet/127.0.0.1/10990");
  check("bind service-950", boundTo(altPath), "/$/inet/127.0.0.1/10950");
  check("delegate service-990", untilOk(interpreter.delegate(bindDtab, bindPath)).kind, "delegate");

  const all: Case[] = [
    { name: "parse (`readDtab` of the text)", op: () => readDtab(lookupText) },
    {
      name: "show (`Dtab.show`, first time)",
      op: (i) => pool[i]!.show,
      batch: { size: POOL, prepare: refill },
    },
    ...lookupCases,
    {
      name: "bind, cold, 3 lookups (`/http/1.1/GET/service-990`)",
      op: () => untilOk(interpreter.bind(bindDtab, bindPath)),
    },
    {
      name: "bind, cold, alt fallback, 4 lookups (`/http/1.1/GET/service-950`)",
      op: () => untilOk(interpreter.bind(bindDtab, altPath)),
    },
    {
      name: "delegate, cold (`/http/1.1/GET/service-990`)",
      op: () => untilOk(interpreter.delegate(bindDtab, bindPath)),
    },
  ];
  return { cases: all, lookupCases: lookupCases.map((c) => c.name) };
}

// ---------------------------------------------------------------------------------------------------------
// Report.

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function usText(us: number): string {
  if (us >= 100) return fmt(us, 0);
  if (us >= 1) return fmt(us, 2);
  return fmt(us, 3);
}

function main(): void {
  const o = options();
  const cpuList = cpus();
  const machine = { cpu: cpuList[0]?.model.trim() ?? "unknown", cores: cpuList.length };
  const started = new Date();
  const { cases: every, lookupCases } = cases();
  const all = o.filter === undefined ? every : every.filter((c) => c.name.includes(o.filter as string));
  if (!o.json) {
    process.stderr.write(
      `naming.bench: ${all.length} cases, ${o.runs} runs of >= ${o.minMs} ms each, warm-up ${o.warmupMs} ms\n`,
    );
  }
  const results: Result[] = [];
  for (const c of all) {
    if (!o.json) process.stderr.write(`  ${c.name} ...\n`);
    results.push(measure(c, o));
  }
  const lookupUs = results.filter((r) => lookupCases.includes(r.name)).map((r) => r.usPerOp);
  const slowestLookup = lookupUs.length > 0 ? Math.max(...lookupUs) : Number.NaN;
  const aimMet = slowestLookup < LOOKUP_AIM_US;
  const seconds = (Date.now() - started.getTime()) / 1000;

  if (o.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: "naming",
          date: started.toISOString(),
          machine,
          node: process.versions.node,
          dtabEntries: ENTRIES,
          settings: { runs: o.runs, minMsPerRun: o.minMs, warmupMs: o.warmupMs, filter: o.filter ?? null },
          results,
          aim:
            lookupUs.length === 0
              ? { lookupUnderUs: LOOKUP_AIM_US, slowestLookupUs: null, met: null }
              : { lookupUnderUs: LOOKUP_AIM_US, slowestLookupUs: slowestLookup, met: aimMet },
          seconds,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const lines = [
    `Naming micro-benchmark, ${ENTRIES}-entry dtab. Machine: ${machine.cpu}, ${machine.cores} cores; ` +
      `Node ${process.versions.node}; ${started.toISOString()}; median of ${o.runs} runs of >= ${o.minMs} ms.`,
    "",
    "| Operation | ops/s | µs/op |",
    "| --- | ---: | ---: |",
    ...results.map((r) => `| ${r.name} | ${fmt(r.opsPerSec, 0)} | ${usText(r.usPerOp)} |`),
    "",
    lookupUs.length === 0
      ? `Aim: lookup under ${LOOKUP_AIM_US} µs: not measured (no lookup case ran). Took ${fmt(seconds, 1)} s.`
      : `Aim: lookup in a ${ENTRIES}-entry dtab under ${LOOKUP_AIM_US} µs: ${aimMet ? "met" : "NOT met"} ` +
        `(slowest lookup ${usText(slowestLookup)} µs). Took ${fmt(seconds, 1)} s.`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (sink === Symbol.for("never")) process.stdout.write("\n");
}

main();
