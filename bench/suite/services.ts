// What the suite measures and against what: origins (nginx, Node), Trellis one and two hops, nginx, HAProxy, Node proxies.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleIsCurrent, ensureBundle } from "../../scripts/bundle.ts";
import { freePort, freePorts, get, waitForPort } from "../lib/net.ts";
import type { Placement, Role } from "../lib/pinning.ts";
import { type Child, type ProcessGroup, readRss, readTreeRss, waitForOutput } from "../lib/processes.ts";

/** The body every origin answers with (12 bytes), and the Host header requests carry. */
export const BODY = "hello world\n";
export const HOST = "bench";

export const NGINX = "/usr/sbin/nginx";
export const HAPROXY = "/usr/sbin/haproxy";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const TRELLIS_BIN = here("../../bin/trellis.js");
/** The Node origin: plain JavaScript, so that its RSS is a bare Node HTTP server's (no TypeScript stripper). */
const NODE_ORIGIN = here("../macro/origin.mjs");
const NODE_PASSTHROUGH = here("../node-passthrough.mjs");
const HTTP_PROXY_PASSTHROUGH = here("../http-proxy-passthrough.mjs");
const UNDICI_PASSTHROUGH = here("../undici-passthrough.mjs");

/** Descriptors a proxy may need: 4,000 held client connections, their upstreams, the 1,000-endpoint pools. */
export const NOFILE = 20_000;

export type ProxyKind =
  | "trellis"
  | "trellis-bare"
  | "trellis-2hop"
  | "nginx"
  | "haproxy"
  | "node"
  | "http-proxy"
  | "undici";
export type Case = "direct" | ProxyKind;
export const CASES: readonly Case[] = [
  "direct",
  "trellis",
  "trellis-bare",
  "trellis-2hop",
  "nginx",
  "haproxy",
  "node",
  "http-proxy",
  "undici",
];
/** Cases only the closed loop runs: `trellis passthrough` is there for the feature-cost ratio at full load. */
export const CLOSED_ONLY: readonly Case[] = ["trellis-bare"];
export const LABEL: Record<Case, string> = {
  direct: "direct (no proxy)",
  trellis: "Trellis, 1 hop",
  "trellis-bare": "Trellis bare pass-through",
  "trellis-2hop": "Trellis, 2 hops",
  nginx: "nginx, 1 worker",
  haproxy: "HAProxy, 1 thread",
  node: "Node pass-through",
  "http-proxy": "http-proxy",
  undici: "undici proxy",
};
/** The Node proxies a user might pick instead of Trellis: the hand-written floor and the two libraries. */
export const NODE_PROXIES = ["node", "http-proxy", "undici"] as const;
export type NodeProxy = (typeof NODE_PROXIES)[number];
/** Proxies that run as one process from a command line of ours: HAProxy and the Node proxies. */
export type PeerKind = "haproxy" | NodeProxy;

/** What every service start needs: the process group, a temp dir for configs, and where processes run. */
export interface Env {
  readonly group: ProcessGroup;
  readonly tmp: string;
  readonly place: Placement;
}

/** A process whose memory is reported; `tree` adds its children's (nginx's master and worker). */
export interface Measured {
  readonly name: string;
  readonly pid: number;
  readonly tree: boolean;
}

/** Something listening on a loopback port, made of zero (direct) or more processes. */
export interface Service {
  readonly kind: Case;
  readonly port: number;
  /** Trellis's admin port (the one-hop proxy, or sidecar A). */
  readonly adminPort?: number;
  readonly children: readonly Child[];
  readonly measured: readonly Measured[];
}

export interface Origin {
  readonly kind: "nginx" | "node";
  readonly port: number;
  /** More ports the same origin answers on (for the 1,000-endpoint replica set). */
  readonly extraPorts: readonly number[];
  readonly children: readonly Child[];
}

function spawnIn(env: Env, role: Role, name: string, command: string, args: readonly string[]): Child {
  const [cmd, argv] = env.place.wrap(role, command, args, NOFILE);
  return env.group.spawn(name, cmd, argv);
}

/** Starts `launch` on a free port until it listens (another process may take the port in between). */
async function onFreePort<T>(launch: (port: number) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort());
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** Waits for the port to accept, failing early if the process exits. */
async function listening(env: Env, child: Child, port: number, timeoutMs = 10_000): Promise<void> {
  try {
    await Promise.race([
      waitForPort(port, timeoutMs),
      child.exited().then(() => {
        throw new Error(`${child.name} exited at start:\n${child.output()}`);
      }),
    ]);
  } catch (e) {
    await env.group.stop(child);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Versions.

/**
 * The bundle `bin/trellis.js` runs, rebuilt first when a source is newer (scripts/bundle.ts): "bundle" when it
 * was current, "rebuilt" when this run built it.
 */
export function trellisBuild(): "bundle" | "rebuilt" {
  return ensureBundle() === "current" ? "bundle" : "rebuilt";
}

/** Whether src/ changed after the bundle was built (proxies started later would then run older code than src/). */
export const sourcesChangedSince = (): boolean => !bundleIsCurrent();

function firstMatch(command: string, args: readonly string[], re: RegExp): string | undefined {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.match(re)?.[0];
}

export const nginxVersion = () => firstMatch(NGINX, ["-v"], /nginx\/\S+/);
export const haproxyVersion = () =>
  firstMatch(HAPROXY, ["-v"], /HAProxy version \S+/)?.replace("HAProxy version ", "HAProxy ");

/** The installed version of an npm package (the Node proxy libraries), from its package.json. */
export function packageVersion(name: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(here(`../../node_modules/${name}/package.json`), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? `${name} ${pkg.version}` : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// nginx, as origin and as proxy.

/**
 * An nginx config (one worker): an origin answering `return 200` on `ports`, or, given upstream ports, a proxy
 * to one upstream block of those servers (round robin) with keep-alive: at least 128 idle connections cached,
 * and two per server for a large block, so that every server keeps its connections.
 */
function nginxConfig(
  dir: string,
  name: string,
  ports: readonly number[],
  upstreamPorts?: readonly number[],
): string {
  const p = (s: string) => join(dir, `${name}.${s}`);
  const location =
    upstreamPorts === undefined
      ? ["      default_type text/plain;", `      return 200 "${BODY.replace("\n", "\\n")}";`]
      : [
          "      proxy_pass http://origin;",
          "      proxy_http_version 1.1;",
          '      proxy_set_header Connection "";',
          "      proxy_set_header Host $host;",
        ];
  return [
    "# Written by bench/suite: one worker, everything in a temp dir, loopback only.",
    "worker_processes 1;",
    `worker_rlimit_nofile ${NOFILE};`,
    "daemon off;",
    `pid ${p("pid")};`,
    `error_log ${p("error.log")};`,
    `events { worker_connections ${NOFILE / 2}; }`,
    "http {",
    "  access_log off;",
    `  client_body_temp_path ${p("body")};`,
    `  proxy_temp_path ${p("proxy")};`,
    `  fastcgi_temp_path ${p("fastcgi")};`,
    `  uwsgi_temp_path ${p("uwsgi")};`,
    `  scgi_temp_path ${p("scgi")};`,
    // nginx closes a keep-alive connection after 1,000 requests by default; the load generators keep theirs.
    "  keepalive_requests 1000000;",
    "  keepalive_timeout 120s;",
    ...(upstreamPorts === undefined
      ? []
      : [
          "  upstream origin {",
          ...upstreamPorts.map((port) => `    server 127.0.0.1:${port};`),
          `    keepalive ${Math.max(128, 2 * upstreamPorts.length)};`,
          "    keepalive_requests 1000000;",
          "    keepalive_timeout 120s;",
          "  }",
        ]),
    "  server {",
    ...ports.map((port) => `    listen 127.0.0.1:${port};`),
    "    location / {",
    ...location,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

async function launchNginx(env: Env, role: Role, name: string, ports: readonly number[]): Promise<Child> {
  const dir = join(env.tmp, name);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, nginxConfig(dir, name, ports));
  const child = spawnIn(env, role, name, NGINX, [
    "-p",
    dir,
    "-c",
    conf,
    "-e",
    join(dir, `${name}.error.log`),
  ]);
  await listening(env, child, ports[0] as number);
  return child;
}

/** nginx as the origin (`return 200`, 12 bytes), on CPU 1, also answering on `extra` more ports. */
export async function startNginxOrigin(env: Env, extra = 0): Promise<Origin> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports = await freePorts(1 + extra);
    let child: Child | undefined;
    try {
      child = await launchNginx(env, "load", "nginx-origin", ports);
      // Every extra port must answer: a port taken in between would fail the proxy's requests later.
      for (const p of ports.slice(1)) await waitForPort(p, 2000);
      return { kind: "nginx", port: ports[0] as number, extraPorts: ports.slice(1), children: [child] };
    } catch (e) {
      last = e;
      if (child !== undefined) await env.group.stop(child);
    }
  }
  throw last;
}

/** bench/macro/origin.mjs (node:http, 12 bytes) on CPU 1. */
export async function startNodeOrigin(env: Env, role: Role = "load"): Promise<Origin> {
  const child = spawnIn(env, role, "node origin", process.execPath, [NODE_ORIGIN, "0"]);
  const m = await waitForOutput(child, /origin listening on 127\.0\.0\.1:(\d+)/);
  return { kind: "node", port: Number(m[1]), extraPorts: [], children: [child] };
}

// ---------------------------------------------------------------------------------------------------------
// Trellis.

/** Dtabs for the router `bench` (requests with Host: bench are named /svc/bench). */
export const dtabs = {
  /** The one route of the main cases. */
  one: (originPort: number): string[] => [`/svc/${HOST} => /$/inet/127.0.0.1/${originPort};`],
  /** Every name to the origin (for the many-host-names cases). */
  wildcard: (originPort: number): string[] => [`/svc/* => /$/inet/127.0.0.1/${originPort};`],
  /** The name to the io.l5d.fs namer's file `bench` (see `replicaSet`): one bound name, one replica set. */
  fs: (): string[] => [`/svc/${HOST} => /#/io.l5d.fs/${HOST};`],
  /**
   * One name, a union of one `/$/inet` branch per port: in Linkerd (and Trellis) that is as many bound names,
   * each its own client, one picked per request by weight; not one replica set.
   */
  union: (ports: readonly number[]): string[] => [
    `/svc/${HOST} =>`,
    ...ports.map((p, i) => `  /$/inet/127.0.0.1/${p}${i === ports.length - 1 ? ";" : " &"}`),
  ],
  /**
   * The real route first, then `count - 1` unrelated dentries. Later dentries are tried first (Finagle's
   * order), so every unrelated one is in the way of a lookup that does not use an index.
   */
  dentries: (count: number, route: readonly string[]): string[] => [
    ...route,
    ...Array.from(
      { length: count - 1 },
      (_, i) => `/svc/unrelated-${i} => /$/inet/127.0.0.1/${9 + (i % 50)};`,
    ),
  ],
};

/**
 * A directory for an io.l5d.fs namer holding the file `bench`: one `127.0.0.1 PORT` line per port, so that
 * /#/io.l5d.fs/bench binds to one replica set of those endpoints. Returns the directory.
 */
export function replicaSet(env: Env, name: string, ports: readonly number[]): string {
  const dir = join(env.tmp, `${name}-disco`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, HOST), ports.map((p) => `127.0.0.1 ${p}\n`).join(""));
  return dir;
}

/** What a Trellis case adds to the plain one-route config. */
export interface TrellisExtras {
  /** An io.l5d.fs namer over this directory (see `replicaSet`). */
  readonly fsRoot?: string;
  /** The router's client load balancer kind (Linkerd's default, p2c, when not given). */
  readonly balancer?: string;
}

function trellisConfig(label: string, port: number, dtab: readonly string[], x: TrellisExtras): string {
  return [
    "# Written by bench/suite; everything on loopback.",
    ...(x.fsRoot === undefined ? [] : ["namers:", "- kind: io.l5d.fs", `  rootDir: ${x.fsRoot}`]),
    "admin:",
    "  ip: 127.0.0.1",
    "  port: 0",
    "  shutdownGraceMs: 1000",
    "routers:",
    "- protocol: http",
    `  label: ${label}`,
    "  dtab: |",
    ...dtab.map((l) => `    ${l}`),
    ...(x.balancer === undefined ? [] : [`  client: {loadBalancer: {kind: ${x.balancer}}}`]),
    "  servers:",
    "  - ip: 127.0.0.1",
    `    port: ${port}`,
    "",
  ].join("\n");
}

/** Writes a Trellis config and returns the command line that runs it (not started). */
export function trellisCommand(
  env: Env,
  name: string,
  port: number,
  dtab: readonly string[],
  extras: TrellisExtras = {},
): string[] {
  const file = join(env.tmp, `${name}.yaml`);
  writeFileSync(file, trellisConfig(HOST, port, dtab, extras));
  return [process.execPath, TRELLIS_BIN, "proxy", file];
}

async function startTrellis(
  env: Env,
  name: string,
  dtab: readonly string[],
  extras: TrellisExtras = {},
): Promise<{ child: Child; port: number; adminPort: number }> {
  return onFreePort(async (port) => {
    const [cmd, ...args] = trellisCommand(env, name, port, dtab, extras);
    const child = spawnIn(env, "sut", name, cmd as string, args);
    try {
      await waitForOutput(
        child,
        new RegExp(`trellis: router ${HOST} listening on 127\\.0\\.0\\.1:${port}\\b`),
      );
      const admin = await waitForOutput(child, /trellis: admin listening on 127\.0\.0\.1:(\d+)/);
      return { child, port, adminPort: Number(admin[1]) };
    } catch (e) {
      await env.group.stop(child);
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// HAProxy and the Node proxies.

function haproxyConfig(port: number, upstreamPort: number): string {
  return [
    "# Written by bench/suite: one thread, server-side connection reuse, loopback only.",
    "global",
    "  nbthread 1",
    "  maxconn 8000",
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  http-reuse always",
    "  timeout connect 5s",
    "  timeout client 120s",
    "  timeout server 120s",
    "  timeout http-keep-alive 120s",
    "frontend bench",
    `  bind 127.0.0.1:${port}`,
    "  default_backend origin",
    "backend origin",
    `  server origin 127.0.0.1:${upstreamPort}`,
    "",
  ].join("\n");
}

const NODE_PROXY_SCRIPT: Record<NodeProxy, string> = {
  node: NODE_PASSTHROUGH,
  "http-proxy": HTTP_PROXY_PASSTHROUGH,
  undici: UNDICI_PASSTHROUGH,
};

/** Writes the config of a single-process peer and returns its command line (not started). */
export function peerCommand(env: Env, kind: PeerKind, port: number, upstreamPort: number): string[] {
  if (kind !== "haproxy")
    return [process.execPath, NODE_PROXY_SCRIPT[kind], String(port), String(upstreamPort)];
  const file = join(env.tmp, `haproxy-${port}.cfg`);
  writeFileSync(file, haproxyConfig(port, upstreamPort));
  return [HAPROXY, "-db", "-f", file];
}

/** nginx as a proxy to one upstream block of `upstreamPorts`: its command line (not started), config written. */
export function nginxProxyCommand(env: Env, port: number, upstreamPorts: readonly number[]): string[] {
  const name = `nginx-proxy-${port}`;
  const dir = join(env.tmp, name);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, nginxConfig(dir, name, [port], upstreamPorts));
  return [NGINX, "-p", dir, "-c", conf, "-e", join(dir, `${name}.error.log`)];
}

// ---------------------------------------------------------------------------------------------------------

export interface StartOptions extends TrellisExtras {
  /** The dtab of Trellis one hop (default: the one route to the origin). */
  readonly dtab?: readonly string[];
  /** nginx's upstream servers (default: the origin's main port). */
  readonly upstreamPorts?: readonly number[];
}

/** Starts a case (proxies on CPU 0) in front of the origin's main port. "direct" starts nothing. */
export async function startCase(
  env: Env,
  kind: Case,
  origin: Origin,
  o: StartOptions = {},
): Promise<Service> {
  const up = origin.port;
  switch (kind) {
    case "direct":
      return { kind, port: up, children: [], measured: [] };
    case "trellis": {
      const t = await startTrellis(env, "trellis", o.dtab ?? dtabs.one(up), o);
      return {
        kind,
        port: t.port,
        adminPort: t.adminPort,
        children: [t.child],
        measured: [{ name: "trellis", pid: t.child.pid, tree: false }],
      };
    }
    case "trellis-bare":
      // `trellis passthrough`: the same data path with no routing, header work or metrics.
      return onFreePort(async (port) => {
        const child = spawnIn(env, "sut", "trellis passthrough", process.execPath, [
          TRELLIS_BIN,
          "passthrough",
          "--listen",
          `127.0.0.1:${port}`,
          "--to",
          `127.0.0.1:${up}`,
        ]);
        try {
          await waitForOutput(child, /trellis: passthrough listening on /);
        } catch (e) {
          await env.group.stop(child);
          throw e;
        }
        return {
          kind,
          port,
          children: [child],
          measured: [{ name: "trellis bare", pid: child.pid, tree: false }],
        };
      });
    case "trellis-2hop": {
      // The article's sidecar topology: A's outgoing router names B's incoming router, which names the origin.
      const b = await startTrellis(env, "trellis-sidecar-b", dtabs.wildcard(up));
      const a = await startTrellis(env, "trellis-sidecar-a", [
        `/svc/${HOST} => /$/inet/127.0.0.1/${b.port};`,
      ]);
      return {
        kind,
        port: a.port,
        adminPort: a.adminPort,
        children: [a.child, b.child],
        measured: [
          { name: "sidecar A", pid: a.child.pid, tree: false },
          { name: "sidecar B", pid: b.child.pid, tree: false },
        ],
      };
    }
    case "nginx":
      return onFreePort(async (port) => {
        const [cmd, ...args] = nginxProxyCommand(env, port, o.upstreamPorts ?? [up]);
        const child = spawnIn(env, "sut", "nginx proxy", cmd as string, args);
        await listening(env, child, port);
        return { kind, port, children: [child], measured: [{ name: "nginx", pid: child.pid, tree: true }] };
      });
    case "haproxy":
    case "node":
    case "http-proxy":
    case "undici":
      return onFreePort(async (port) => {
        const [cmd, ...args] = peerCommand(env, kind, port, up);
        const child = spawnIn(env, "sut", LABEL[kind], cmd as string, args);
        await listening(env, child, port);
        return { kind, port, children: [child], measured: [{ name: kind, pid: child.pid, tree: false }] };
      });
  }
}

export async function stopService(env: Env, s: Service | Origin | undefined): Promise<void> {
  if (s === undefined) return;
  await Promise.all(s.children.map((c) => env.group.stop(c)));
}

/** The RSS of a service's proxy processes, summed, in MiB (undefined for direct or when gone). */
export function rssMiB(s: Service): number | undefined {
  if (s.measured.length === 0) return undefined;
  let kib = 0;
  for (const m of s.measured) {
    const r = m.tree ? readTreeRss(m.pid) : readRss(m.pid);
    if (r === undefined) return undefined;
    kib += r.rssKiB;
  }
  return kib / 1024;
}

/** Samples a service's RSS every `everyMs` until stopped; returns the largest sample (MiB). */
export function sampleRss(s: Service, everyMs = 250): { stop(): number | undefined } {
  let max: number | undefined;
  const take = () => {
    const v = rssMiB(s);
    if (v !== undefined && (max === undefined || v > max)) max = v;
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

/** Checks that a service answers 200 with the origin's body (so that a broken route is not measured). */
export async function checkAnswers(port: number, what: string, host = HOST): Promise<void> {
  const r = await get(port, host);
  if (r.status !== 200 || r.body !== BODY) {
    const err = r.headers["l5d-err"];
    throw new Error(
      `${what}: GET / with Host: ${host} answered ${r.status} ${JSON.stringify(r.body.slice(0, 200))}` +
        (err ? ` (l5d-err: ${err})` : ""),
    );
  }
}
