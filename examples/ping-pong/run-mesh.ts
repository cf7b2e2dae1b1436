// Runs the article's final topology on this machine (namerd, pong, ping and their sidecars) until Ctrl-C: what `npm start` does.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ARTICLE_PORTS, CONFIGS, type MeshPorts, writeMeshConfigs, type ZkAddr } from "./mesh-configs.ts";

const USAGE = `Usage: npm start [-- --zk HOST:PORT[,HOST:PORT...]] [-- --free-ports]

Runs the article's final topology on this machine: namerd, pong, ping, and a sidecar for each service, ping
calling pong through both sidecars, the sidecars asking namerd where names go (interpreter io.l5d.namerd).
  (default)        namerd finds services from files (its io.l5d.fs namer): nothing else needs to run
  --zk HOST:PORT   namerd finds services in that ZooKeeper (io.l5d.serversets), where each sidecar's announcer
                   registers its incoming router
  --free-ports     every part on a free port instead of the article's (8001, 8002, 4001-4004, 4100, 4180,
                   9990-9992)
`;

const root = fileURLToPath(new URL("../../", import.meta.url));
const node = process.execPath;

function fail(message: string): never {
  process.stderr.write(`mesh: ${message}\n${USAGE}`);
  process.exit(2);
}

let options: { zk?: string; "free-ports"?: boolean; help?: boolean };
try {
  options = parseArgs({
    args: process.argv.slice(2),
    options: {
      zk: { type: "string" },
      "free-ports": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (e) {
  fail((e as Error).message.split("\n")[0] as string);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const zk: ZkAddr[] | undefined = options.zk?.split(",").map((text) => {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (m === null) fail(`--zk expects HOST:PORT[,HOST:PORT...], got ${JSON.stringify(options.zk)}`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2] ?? 2181) };
});

/**
 * `n` distinct ports the OS has just handed out and released. Every one is held until all are chosen: taken and
 * released one at a time, the OS may hand the same port out twice (it did, and two parts of the mesh collided).
 */
async function freePorts(n: number): Promise<number[]> {
  const held = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const chosen = held.map((s) => {
    const a = s.address();
    return typeof a === "object" && a !== null ? a.port : 0;
  });
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  return chosen;
}

const ports: MeshPorts = { ...ARTICLE_PORTS };
if (options["free-ports"]) {
  const keys = Object.keys(ports) as (keyof MeshPorts)[];
  const chosen = await freePorts(keys.length);
  keys.forEach((k, i) => {
    ports[k] = chosen[i] as number;
  });
}
const dir = mkdtempSync(join(tmpdir(), "trellis-mesh-"));
const files = writeMeshConfigs(dir, ports, zk, { namerd: true });
const namerd = files.namerd as NonNullable<typeof files.namerd>;
/** What `trellis dtab` needs to reach namerd's HTTP API when it is not on the default 127.0.0.1:4180. */
const baseUrlArgs = ports.namerdHttp === 4180 ? [] : ["--base-url", `http://127.0.0.1:${ports.namerdHttp}`];
const baseUrl = baseUrlArgs.map((a) => ` ${a}`).join("");

interface Part {
  readonly name: string;
  readonly args: string[];
  readonly env?: Record<string, string>;
  /** How many `listening` lines mean it is ready; 0: a command that is done when it exits 0. */
  readonly listeners: number;
}

const PARTS: Part[] = [
  { name: "namerd", args: ["bin/trellis.js", "namerd", namerd.config], listeners: 3 },
  {
    name: "dtab",
    args: ["bin/trellis.js", "dtab", "create", "default", namerd.dtab, ...baseUrlArgs],
    listeners: 0,
  },
  { name: "pong", args: ["examples/ping-pong/pong.ts", "--port", String(ports.pong)], listeners: 1 },
  { name: "pong-sidecar", args: ["bin/trellis.js", "proxy", files.pongSidecar], listeners: 3 },
  { name: "ping-sidecar", args: ["bin/trellis.js", "proxy", files.pingSidecar], listeners: 3 },
  {
    name: "ping",
    args: ["examples/ping-pong/ping.ts", "--port", String(ports.ping)],
    env: { http_proxy: `http://127.0.0.1:${ports.pingOut}` },
    listeners: 1,
  },
];

const running: { part: Part; child: ChildProcess }[] = [];
let stopping = false;

function start(part: Part): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...part.env };
    for (const k of ["HTTP_PROXY", "PORT", "HOST", "PONG_URL", "NAMERCTL_BASE_URL"])
      if (!part.env?.[k]) delete env[k];
    if (!part.env?.http_proxy) delete env.http_proxy;
    const child = spawn(node, part.args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    running.push({ part, child });
    let seen = 0;
    const label = part.name.padEnd(12);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        process.stdout.write(`${label} | ${line}\n`);
        if (/listening on/.test(line) && ++seen === part.listeners) resolve();
      });
    }
    child.once("exit", (code, signal) => {
      if (stopping) return;
      if (part.listeners === 0 && code === 0) return resolve();
      const why = `${part.name} exited (${signal ?? `status ${code}`})`;
      reject(new Error(why));
      void stopAll(1, why);
    });
  });
}

async function stopAll(code: number, why?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (why) process.stderr.write(`mesh: ${why}; stopping everything\n`);
  for (const { child } of running.slice().reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

/** Waits (up to 10 s) until a sidecar's announcers have registered everything; false if not. */
async function registered(adminPort: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const page = (await (await fetch(`http://127.0.0.1:${adminPort}/admin/announcer`)).json()) as {
        announcements: { state: string }[];
      };
      if (page.announcements.every((a) => a.state === "registered")) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

process.once("SIGINT", () => void stopAll(0));
process.once("SIGTERM", () => void stopAll(0));

try {
  for (const part of PARTS) {
    await start(part);
    // On ZooKeeper, ping is started once pong's sidecar is registered, so that its first call finds pong.
    if (zk !== undefined && part.name.endsWith("-sidecar")) {
      const admin = part.name === "pong-sidecar" ? ports.pongAdmin : ports.pingAdmin;
      if (!(await registered(admin)))
        process.stderr.write(
          `mesh: ${part.name} has not registered in ZooKeeper (${options.zk}) yet; it keeps trying (see http://127.0.0.1:${admin}/admin/announcer)\n`,
        );
    }
  }
} catch {
  // stopAll has already been asked to stop everything.
}
if (!stopping) {
  // The dtab namerd was given, on one line without its comments, and the file it came from (as typed from the repository root).
  const dtab = readFileSync(namerd.dtab, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .join(" ");
  const dtabFile = relative(root, join(CONFIGS, zk === undefined ? "namerd" : "namerd-zk", "default.dtab"));
  const discovery =
    zk === undefined
      ? `Service discovery: namerd's io.l5d.fs namer, one file per service in ${files.discoDir}
(each holds its sidecar's incoming router; edit one and routing follows). \`npm start -- --zk HOST:PORT\` uses
ZooKeeper instead.`
      : `Service discovery: namerd's io.l5d.serversets namer on ZooKeeper at ${options.zk}. Each sidecar's announcer has
registered its incoming router: /discovery/pong (127.0.0.1:${ports.pongIn}) and /discovery/ping
(127.0.0.1:${ports.pingIn}); Ctrl-C removes them.`;
  const via = `curl -si -x http://127.0.0.1:${ports.pingOut} http://pong/pong | grep -i '^via'`;
  process.stdout.write(`
The article's final topology is running, all on 127.0.0.1: ping -> ping's sidecar -> pong's sidecar -> pong,
each sidecar asking namerd where /svc/pong goes (interpreter io.l5d.namerd, namespace default).

  ping          http://127.0.0.1:${ports.ping}/      calls pong through its sidecar (http_proxy=http://127.0.0.1:${ports.pingOut})
  pong          http://127.0.0.1:${ports.pong}/pong
  ping sidecar  outgoing ${ports.pingOut}, incoming ${ports.pingIn}, admin http://127.0.0.1:${ports.pingAdmin}/
  pong sidecar  outgoing ${ports.pongOut}, incoming ${ports.pongIn}, admin http://127.0.0.1:${ports.pongAdmin}/
  namerd        thrift ${ports.namerdThrift} (for the sidecars), HTTP API http://127.0.0.1:${ports.namerdHttp}/api/1/dtabs, admin http://127.0.0.1:${ports.namerdAdmin}/

namerd's dtabs: namespace default is ${dtab}
kept in ${namerd.dataDir} (io.trellis.durable; removed on Ctrl-C).
${discovery}

Try:
  curl http://127.0.0.1:${ports.ping}/
  curl http://127.0.0.1:${ports.pingAdmin}/outgoing/interpreter_state/io.l5d.namerd/default.json
  npx trellis dtab get default${baseUrl}

Change a route live: send pong's calls straight to pong, skipping pong's sidecar, then back.
  ${via}      # Via: 1.1 linkerd, 1.1 linkerd (two sidecars)
  echo '${dtab} /svc/pong => /$/inet/127.1/${ports.pong};' | npx trellis dtab update default -${baseUrl}
  ${via}      # Via: 1.1 linkerd (ping's sidecar only)
  npx trellis dtab update default ${dtabFile}${baseUrl}

Ctrl-C stops everything.
`);
}
