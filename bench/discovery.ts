// The discovery benchmark (`npm run bench:discovery`): how fast membership changes reach routing, and what 10,000 members cost.
//
//   npm run bench:discovery                        # 100 samples per change, 10,000 members (about 2 minutes)
//   npm run bench:discovery -- --quick             # 20 samples, 2,000 members: a smoke test
//   npm run bench:discovery -- --samples 200 --members 20000 --out /tmp/disco
//
// Starts a throwaway ZooKeeper (Debian's, as the tests do), backends on loopback ports in this process, and
// `trellis proxy` with io.l5d.serversets and io.l5d.fs routers. (a) For each kind of change (a member added,
// its status set to STOPPING and back to ALIVE, removed; a line added to and removed from an io.l5d.fs file)
// it measures, under steady traffic, the time from the write's completion to the first request reaching the
// member, or to the last one reaching it. (b) With N members in one serverset: a cold proxy's start and first
// routed request, its RSS, and the same change measurements through a `#shard` path of that serverset. Writes
// bench/results/discovery-latest.md and .json. Every process it starts is stopped at the end and on Ctrl-C.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "../test/support/zookeeper.ts";
import { type Backend, Backends } from "./discovery/backends.ts";
import { type Change, QUIET_MS, sample, summarize } from "./discovery/measure.ts";
import { Probe } from "./discovery/probe.ts";
import { type DiscoveryReport, markdown, type PropagationRow, type ScaleReport } from "./discovery/report.ts";
import { privateTrellis } from "./discovery/trellis-bundle.ts";
import { machine } from "./lib/machine.ts";
import { type Child, ProcessGroup, readRss, waitForOutput } from "./lib/processes.ts";
import { trellisBuild } from "./suite/services.ts";

const TRELLIS_BIN = fileURLToPath(new URL("../bin/trellis.js", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const PROBE_CONCURRENCY = 4;
const PROBE_SHARD = 999_999;

const USAGE = `Usage: npm run bench:discovery -- [options]
  --samples N    samples per kind of change (default 100; 30 with 10,000 members)
  --members N    members in the large serverset (default 10000)
  --quick        20 samples, 2,000 members
  --out DIR      where discovery-latest.md and .json go (default bench/results/)
`;

const log = (s: string) => process.stderr.write(`${s}\n`);

function options() {
  const { values: v } = parseArgs({
    options: {
      samples: { type: "string" },
      members: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: RESULTS },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const count = (name: string, text: string | undefined, dflt: number) => {
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`bench: --${name} must be a whole number >= 1, got "${text}"\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const samples = count("samples", v.samples, v.quick ? 20 : 100);
  return {
    samples,
    scaleSamples: count("samples", v.samples, v.quick ? 10 : 30),
    members: count("members", v.members, v.quick ? 2000 : 10_000),
    out: v.out,
  };
}

function memberJson(port: number, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      serviceEndpoint: { host: "127.0.0.1", port },
      additionalEndpoints: {},
      status: "ALIVE",
      ...extra,
    }),
  );
}

const mib = (pid: number) => (readRss(pid)?.rssKiB ?? 0) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running proxy: its router ports by label, its admin port, and how long it took to listen. */
interface Proxy {
  readonly child: Child;
  readonly ports: Map<string, number>;
  readonly startMs: number;
}

async function startProxy(
  group: ProcessGroup,
  bin: string,
  dir: string,
  name: string,
  config: string,
): Promise<Proxy> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, config);
  const spawned = performance.now();
  const child = group.spawn(name, process.execPath, [bin, "proxy", file]);
  await waitForOutput(child, /trellis: admin listening on/, 60_000);
  const startMs = performance.now() - spawned;
  const ports = new Map<string, number>();
  for (const m of child.output().matchAll(/trellis: router (\S+) listening on [\d.]+:(\d+)/g))
    ports.set(m[1] as string, Number(m[2]));
  return { child, ports, startMs };
}

/** GETs with `Host: host` until one is answered 200; resolves with the milliseconds it took. */
async function firstRouted(port: number, host: string, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent: false },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", () => resolve(0));
      req.end();
    });
    if (status === 200) return performance.now() - started;
    if (performance.now() - started > timeoutMs)
      throw new Error(`no 200 from ${host} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Samples each change in turn, `n` rounds, under steady traffic to `host`. */
async function measureChanges(
  port: number,
  host: string,
  member: Backend,
  changes: readonly Change[],
  n: number,
  label: string,
): Promise<{ values: Map<string, (number | undefined)[]>; rps: number; errors: Record<string, unknown> }> {
  const probe = new Probe(port, host, PROBE_CONCURRENCY);
  const values = new Map(changes.map((c) => [c.name, [] as (number | undefined)[]]));
  try {
    await sleep(300);
    for (let i = 0; i < n; i++) {
      for (const c of changes) {
        values.get(c.name)?.push(await sample(c, member));
        await sleep(20);
      }
      if ((i + 1) % 10 === 0) log(`  ${label}: ${i + 1}/${n}`);
    }
  } finally {
    await probe.stop();
  }
  const counts = await probe.stop();
  const { "200": _ok, ...others } = counts.byStatus;
  return { values, rps: probe.rate, errors: { ...others, noAnswer: counts.noAnswer } };
}

async function main(): Promise<void> {
  const o = options();
  const unavailable = zookeeperUnavailable();
  if (unavailable !== undefined) {
    process.stderr.write(`bench: ${unavailable}\n`);
    process.exit(2);
  }
  const group = new ProcessGroup();
  const backends = new Backends();
  const dir = mkdtempSync(join(tmpdir(), "trellis-bench-discovery-"));
  let zk: ZooKeeperServer | undefined;
  let zkc: ZkClient | undefined;
  const cleanup = async () => {
    await group.close();
    await zkc?.close();
    await zk?.cleanup();
    await backends.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.on("exit", () => group.killAllNow());
  try {
    const own = privateTrellis(join(dir, "trellis"));
    const bin = own.bin ?? TRELLIS_BIN;
    const build =
      own.bin !== undefined
        ? "bundle, built from the sources at the start of the run"
        : `${trellisBuild()} (${own.why})`;
    log(`discovery benchmark: Trellis from its ${build}; starting ZooKeeper`);
    zk = await ZooKeeperServer.start();
    zkc = new ZkClient(zk.zkAddrs);
    await zkc.whenConnected();
    const client = zkc;
    const [a, b] = (await backends.open(2)) as [Backend, Backend];

    // (a) One proxy, a serverset and a file with one member each, and a second member coming and going.
    await client.mkdirp("/discovery/pong");
    await client.create("/discovery/pong/member_", memberJson(a.port), "ephemeral-sequential");
    const disco = join(dir, "disco");
    mkdirSync(disco);
    const pongFile = join(disco, "pong");
    writeFileSync(pongFile, `127.0.0.1 ${a.port}\n`);
    const proxy = await startProxy(
      group,
      bin,
      dir,
      "proxy",
      `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
- kind: io.l5d.fs
  rootDir: ${disco}
routers:
- protocol: http
  label: zk
  dtab: /svc => /#/io.l5d.serversets/discovery;
  servers: [{port: 0}]
- protocol: http
  label: fs
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`,
    );
    const zkPort = proxy.ports.get("zk") as number;
    const fsPort = proxy.ports.get("fs") as number;
    const oneBind = await firstRouted(zkPort, "pong");
    const oneMember = { startMs: proxy.startMs, bindMs: oneBind, rssBoundMiB: mib(proxy.child.pid) };
    await firstRouted(fsPort, "pong");

    let memberB = "";
    const zkChanges: Change[] = [
      {
        name: "member added",
        direction: "to",
        write: async () => {
          memberB = await client.create(
            "/discovery/pong/member_",
            memberJson(b.port),
            "ephemeral-sequential",
          );
        },
      },
      {
        name: "status ALIVE to STOPPING",
        direction: "away",
        write: () => client.setData(memberB, memberJson(b.port, { status: "STOPPING" })),
      },
      {
        name: "status STOPPING to ALIVE",
        direction: "to",
        write: () => client.setData(memberB, memberJson(b.port)),
      },
      {
        name: "member removed",
        direction: "away",
        write: async () => {
          await client.remove(memberB);
        },
      },
    ];
    log(`(a) io.l5d.serversets: ${o.samples} samples of each change`);
    const zkRun = await measureChanges(zkPort, "pong", b, zkChanges, o.samples, "serversets");
    const fsChanges: Change[] = [
      {
        name: "line added",
        direction: "to",
        write: () => writeFileSync(pongFile, `127.0.0.1 ${a.port}\n127.0.0.1 ${b.port}\n`),
      },
      {
        name: "line removed",
        direction: "away",
        write: () => writeFileSync(pongFile, `127.0.0.1 ${a.port}\n`),
      },
    ];
    log(`(a) io.l5d.fs: ${o.samples} samples of each change`);
    const fsRun = await measureChanges(fsPort, "pong", b, fsChanges, o.samples, "fs");
    await group.stop(proxy.child);

    // (b) N members in one serverset, a cold proxy, and changes seen through a #shard path of it.
    log(`(b) opening ${o.members} backend ports and writing ${o.members} members`);
    const many = await backends.open(o.members);
    const [p1, p2] = (await backends.open(2)) as [Backend, Backend];
    await client.mkdirp("/discovery/big");
    const writeStarted = performance.now();
    for (let i = 0; i < many.length; i += 500) {
      await Promise.all(
        many
          .slice(i, i + 500)
          .map((m, j) =>
            client.create(
              "/discovery/big/member_",
              memberJson(m.port, { shard: i + j }),
              "ephemeral-sequential",
            ),
          ),
      );
    }
    await client.create(
      "/discovery/big/member_",
      memberJson(p1.port, { shard: PROBE_SHARD }),
      "ephemeral-sequential",
    );
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    const big = await startProxy(
      group,
      bin,
      dir,
      "proxy-big",
      `admin: {port: 0}
namers:
- kind: io.l5d.serversets
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
routers:
- protocol: http
  label: big
  bindingTimeoutMs: 120000
  dtab: |
    /svc => /#/io.l5d.serversets/discovery;
    /svc/probe => /#/io.l5d.serversets/discovery/big#${PROBE_SHARD};
  servers: [{port: 0}]
`,
    );
    const bigPort = big.ports.get("big") as number;
    const rssListeningMiB = mib(big.child.pid);
    const bindMs = await firstRouted(bigPort, "big");
    const rssBoundMiB = mib(big.child.pid);
    const requests = 1000;
    for (let i = 0; i < requests; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => firstRouted(bigPort, "big")));
    }
    const rssAfterTrafficMiB = mib(big.child.pid);
    await firstRouted(bigPort, "probe");

    let memberP2 = "";
    const p2Json = (extra: Record<string, unknown> = {}) =>
      memberJson(p2.port, { shard: PROBE_SHARD, ...extra });
    const bigChanges: Change[] = [
      {
        name: "member added",
        direction: "to",
        write: async () => {
          memberP2 = await client.create("/discovery/big/member_", p2Json(), "ephemeral-sequential");
        },
      },
      {
        name: "status ALIVE to STOPPING",
        direction: "away",
        write: () => client.setData(memberP2, p2Json({ status: "STOPPING" })),
      },
      { name: "status STOPPING to ALIVE", direction: "to", write: () => client.setData(memberP2, p2Json()) },
      {
        name: "member removed",
        direction: "away",
        write: async () => {
          await client.remove(memberP2);
        },
      },
    ];
    log(`(b) ${o.members} members: ${o.scaleSamples} samples of each change`);
    const bigRun = await measureChanges(
      bigPort,
      "probe",
      p2,
      bigChanges,
      o.scaleSamples,
      `${o.members} members`,
    );
    await group.stop(big.child);

    const scale: ScaleReport = {
      members: o.members,
      writeSeconds,
      startMs: big.startMs,
      bindMs,
      rssListeningMiB,
      rssBoundMiB,
      rssAfterTrafficMiB,
      requests,
    };
    const propagation: PropagationRow[] = [
      ...[...zkRun.values].map(([change, v]) => ({
        namer: "io.l5d.serversets",
        change,
        summary: summarize(v),
      })),
      ...[...fsRun.values].map(([change, v]) => ({ namer: "io.l5d.fs", change, summary: summarize(v) })),
      ...[...bigRun.values].map(([change, v]) => ({
        namer: `io.l5d.serversets, ${o.members.toLocaleString("en-US")} members`,
        change,
        summary: summarize(v),
      })),
    ];
    const zkVersion = spawnSync("dpkg-query", ["-W", "-f", "$\x7bVersion}", "zookeeper"], {
      encoding: "utf8",
    }).stdout.trim();
    const report: DiscoveryReport = {
      machine: machine(),
      trellisBuild: build,
      zookeeper: `ZooKeeper ${zkVersion || "(version unknown)"} (Debian), tickTime 200 ms`,
      probe: {
        concurrency: PROBE_CONCURRENCY,
        rps: { serversets: zkRun.rps, fs: fsRun.rps, [`${o.members} members`]: bigRun.rps },
      },
      quietMs: QUIET_MS,
      propagation,
      oneMember,
      scale,
      probeErrors: { serversets: zkRun.errors, fs: fsRun.errors, big: bigRun.errors },
    };
    const md = markdown(report);
    writeFileSync(join(o.out, "discovery-latest.md"), md);
    writeFileSync(join(o.out, "discovery-latest.json"), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(md);
    log(`probe answers other than 200: ${JSON.stringify(report.probeErrors)}`);
  } finally {
    await cleanup();
  }
}

await main();
