// The processes the proxy benchmark measures: the Node and nginx origins, Trellis one and two hops, nginx as a proxy.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDebianBinary } from "../lib/apt.ts";
import { freePort, get, waitForPort } from "../lib/net.ts";
import { type Child, type ProcessGroup, waitForOutput } from "../lib/processes.ts";

/** The body every origin answers with (12 bytes), and the Host header every request carries. */
export const BODY = "hello world\n";
export const HOST = "bench";

export const NGINX = "/usr/sbin/nginx";

const ORIGIN_SCRIPT = fileURLToPath(new URL("./origin.mjs", import.meta.url));
const TRELLIS_BIN = fileURLToPath(new URL("../../bin/trellis.js", import.meta.url));

/** A process whose memory is reported; `tree` adds its children's (nginx's master and worker). */
export interface Measured {
  readonly name: string;
  readonly pid: number;
  readonly tree: boolean;
}

/** Something listening on a loopback port, made of one or more processes. */
export interface Service {
  readonly port: number;
  readonly children: readonly Child[];
  /** The proxy processes whose RSS is reported (none for an origin). */
  readonly measured: readonly Measured[];
}

/** Node origin: `bench/macro/origin.mjs` in its own process on an OS-chosen port. */
export async function startNodeOrigin(group: ProcessGroup): Promise<Service> {
  const child = group.spawn("node origin", process.execPath, [ORIGIN_SCRIPT, "0"]);
  const m = await waitForOutput(child, /origin listening on 127\.0\.0\.1:(\d+)/);
  return { port: Number(m[1]), children: [child], measured: [] };
}

// ---------------------------------------------------------------------------------------------------------
// Trellis.

export interface TrellisOptions {
  /** Extra node flags, e.g. `--cpu-prof --cpu-prof-dir DIR` for profiling. */
  readonly nodeArgs?: readonly string[];
}

function trellisConfig(label: string, dtab: string): string {
  return [
    "# Written by bench/macro/proxy.bench.ts; everything on loopback, OS-chosen ports.",
    "admin:",
    "  ip: 127.0.0.1",
    "  port: 0",
    "  shutdownGraceMs: 1000",
    "routers:",
    "- protocol: http",
    `  label: ${label}`,
    "  dtab: |",
    `    ${dtab}`,
    "  servers:",
    "  - ip: 127.0.0.1",
    "    port: 0",
    "",
  ].join("\n");
}

async function startTrellis(
  group: ProcessGroup,
  dir: string,
  name: string,
  label: string,
  dtab: string,
  options: TrellisOptions,
): Promise<{ child: Child; port: number }> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, trellisConfig(label, dtab));
  const child = group.spawn(name, process.execPath, [
    ...(options.nodeArgs ?? []),
    TRELLIS_BIN,
    "proxy",
    file,
  ]);
  const re = new RegExp(`trellis: router ${label} listening on 127\\.0\\.0\\.1:(\\d+)`);
  const m = await waitForOutput(child, re);
  await waitForOutput(child, /trellis: admin listening on /);
  return { child, port: Number(m[1]) };
}

/** One `trellis proxy` whose router `bench` sends /svc/bench (Host: bench) to the origin. */
export async function startTrellisOneHop(
  group: ProcessGroup,
  dir: string,
  originPort: number,
  options: TrellisOptions = {},
): Promise<Service> {
  const t = await startTrellis(
    group,
    dir,
    "trellis-1hop",
    "bench",
    `/svc/${HOST} => /$/inet/127.0.0.1/${originPort};`,
    options,
  );
  return {
    port: t.port,
    children: [t.child],
    measured: [{ name: "trellis", pid: t.child.pid, tree: false }],
  };
}

/**
 * The article's sidecar topology: the client talks to sidecar A's `outgoing` router, whose dtab names sidecar
 * B's `incoming` router, whose dtab sends every name to the origin. Two processes, two hops.
 */
export async function startTrellisTwoHops(
  group: ProcessGroup,
  dir: string,
  originPort: number,
  options: TrellisOptions = {},
): Promise<Service> {
  const b = await startTrellis(
    group,
    dir,
    "trellis-sidecar-b",
    "incoming",
    `/svc/* => /$/inet/127.0.0.1/${originPort};`,
    options,
  );
  const a = await startTrellis(
    group,
    dir,
    "trellis-sidecar-a",
    "outgoing",
    `/svc/${HOST} => /$/inet/127.0.0.1/${b.port};`,
    options,
  );
  return {
    port: a.port,
    children: [a.child, b.child],
    measured: [
      { name: "sidecar A", pid: a.child.pid, tree: false },
      { name: "sidecar B", pid: b.child.pid, tree: false },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------
// nginx.

/** Makes sure nginx exists (installing nginx-light, else nginx, as root); false when it is not available. */
export function ensureNginx(log: (s: string) => void): boolean {
  return ensureDebianBinary(NGINX, ["nginx-light", "nginx"], log);
}

/** nginx's version (`nginx/1.22.1`), or undefined when it does not run. */
export function nginxVersion(): string | undefined {
  const r = spawnSync(NGINX, ["-v"], { encoding: "utf8" });
  return `${r.stderr ?? ""}${r.stdout ?? ""}`.match(/nginx\/\S+/)?.[0];
}

function nginxConfig(dir: string, name: string, port: number, http: readonly string[]): string {
  const p = (s: string) => join(dir, `${name}.${s}`);
  return [
    "# Written by bench/macro/proxy.bench.ts: one worker, everything in a temp dir, loopback only.",
    "worker_processes 1;",
    "daemon off;",
    `pid ${p("pid")};`,
    `error_log ${p("error.log")};`,
    "events { worker_connections 4096; }",
    "http {",
    "  access_log off;",
    `  client_body_temp_path ${p("body")};`,
    `  proxy_temp_path ${p("proxy")};`,
    `  fastcgi_temp_path ${p("fastcgi")};`,
    `  uwsgi_temp_path ${p("uwsgi")};`,
    `  scgi_temp_path ${p("scgi")};`,
    // nginx closes a keep-alive connection after 1,000 requests by default; wrk and Trellis keep theirs.
    "  keepalive_requests 1000000;",
    "  keepalive_timeout 120s;",
    ...http.map((l) => `  ${l}`),
    "  server {",
    `    listen 127.0.0.1:${port};`,
    "    location / {",
    ...(http.length === 0
      ? ["      default_type text/plain;", `      return 200 "${BODY.replace("\n", "\\n")}";`]
      : [
          "      proxy_pass http://origin;",
          "      proxy_http_version 1.1;",
          '      proxy_set_header Connection "";',
          "      proxy_set_header Host $host;",
        ]),
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

async function startNginx(
  group: ProcessGroup,
  dir: string,
  name: string,
  http: readonly string[],
): Promise<Service> {
  mkdirSync(dir, { recursive: true });
  let lastError: unknown;
  // The port is picked free, then given to nginx, which cannot listen on port 0: retry if another took it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, nginxConfig(dir, name, port, http));
    const child = group.spawn(name, NGINX, ["-p", dir, "-c", conf, "-e", join(dir, `${name}.error.log`)]);
    try {
      await Promise.race([
        waitForPort(port),
        child.exited().then(() => {
          throw new Error(`${name} exited at start:\n${child.output()}`);
        }),
      ]);
      return { port, children: [child], measured: [{ name: "nginx", pid: child.pid, tree: true }] };
    } catch (e) {
      lastError = e;
      await group.stop(child);
    }
  }
  throw lastError;
}

/** nginx as an origin: `return 200` with the same 12-byte body. */
export function startNginxOrigin(group: ProcessGroup, dir: string): Promise<Service> {
  return startNginx(group, dir, "nginx-origin", []).then((s) => ({ ...s, measured: [] }));
}

/** nginx as a reverse proxy to the origin: one worker, an upstream keep-alive pool of 128. */
export function startNginxProxy(group: ProcessGroup, dir: string, originPort: number): Promise<Service> {
  return startNginx(group, dir, "nginx-proxy", [
    "upstream origin {",
    `  server 127.0.0.1:${originPort};`,
    "  keepalive 128;",
    "  keepalive_requests 1000000;",
    "  keepalive_timeout 120s;",
    "}",
  ]);
}

/** Checks that a service answers 200 with the origin's body (so a broken route is not benchmarked). */
export async function checkAnswers(port: number, what: string): Promise<void> {
  const r = await get(port, HOST);
  if (r.status !== 200 || r.body !== BODY) {
    const err = r.headers["l5d-err"];
    throw new Error(
      `${what}: GET / with Host: ${HOST} answered ${r.status} ${JSON.stringify(r.body.slice(0, 200))}` +
        (err ? ` (l5d-err: ${err})` : ""),
    );
  }
}
