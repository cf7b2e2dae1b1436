// Runs the article's mesh on this machine (pong, ping and their sidecars) until Ctrl-C: what `npm start` does.

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const node = process.execPath;

interface Part {
  readonly name: string;
  readonly args: string[];
  readonly env?: Record<string, string>;
  /** How many `listening` lines mean it is ready. */
  readonly listeners: number;
}

const PARTS: Part[] = [
  { name: "pong", args: ["examples/ping-pong/pong.ts"], listeners: 1 },
  {
    name: "pong-sidecar",
    args: ["bin/trellis.js", "proxy", "examples/ping-pong/configs/local/pong-sidecar.yaml"],
    listeners: 3,
  },
  {
    name: "ping-sidecar",
    args: ["bin/trellis.js", "proxy", "examples/ping-pong/configs/local/ping-sidecar.yaml"],
    listeners: 3,
  },
  {
    name: "ping",
    args: ["examples/ping-pong/ping.ts"],
    env: { http_proxy: "http://127.0.0.1:4001" },
    listeners: 1,
  },
];

const running: { part: Part; child: ChildProcess }[] = [];
let stopping = false;

function start(part: Part): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...part.env };
    for (const k of ["HTTP_PROXY", "PORT", "HOST", "PONG_URL"]) if (!part.env?.[k]) delete env[k];
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
  process.exit(code);
}

process.once("SIGINT", () => void stopAll(0));
process.once("SIGTERM", () => void stopAll(0));

try {
  for (const part of PARTS) await start(part);
} catch {
  // stopAll has already been asked to stop everything.
}
if (!stopping) {
  process.stdout.write(`
The article's mesh is running (ping -> ping's sidecar -> pong's sidecar -> pong), all on 127.0.0.1:

  ping          http://127.0.0.1:8001/      calls pong through its sidecar (http_proxy=http://127.0.0.1:4001)
  pong          http://127.0.0.1:8002/pong
  ping sidecar  outgoing 4001, incoming 4002, admin http://127.0.0.1:9990/
  pong sidecar  outgoing 4003, incoming 4004, admin http://127.0.0.1:9992/

Try:
  curl http://127.0.0.1:8001/
  curl -x http://127.0.0.1:4001 http://pong/pong
  curl http://127.0.0.1:9990/admin/metrics.json?pretty=1
  curl 'http://127.0.0.1:9990/delegator.json?namespace=outgoing&path=/svc/pong&dtab=/svc/pong=>/$/inet/127.1/4004'
  curl http://127.0.0.1:9992/client_state.json

Ctrl-C stops everything.
`);
}
