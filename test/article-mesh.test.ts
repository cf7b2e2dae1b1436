// The article's mesh from its own config files: ping -> sidecar(s) -> pong, as real processes on real sockets.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONFIGS = join(ROOT, "examples/ping-pong/configs");
const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "trellis-article-"));

after(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
          setTimeout(() => c.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

/** A port the OS has just handed out and released: the article's configs name fixed ports, these replace them. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/** The config file with each of the article's ports replaced (as whole numbers) by the given ones. */
function withPorts(file: string, ports: Record<number, number>): string {
  let text = readFileSync(join(CONFIGS, file), "utf8");
  for (const [from, to] of Object.entries(ports))
    text = text.replace(new RegExp(`\\b${from}\\b`, "g"), String(to));
  const out = join(dir, file.replaceAll("/", "-"));
  writeFileSync(out, text);
  return out;
}

/** Starts a process and resolves once it has printed `count` lines saying it is listening. */
function start(args: string[], count: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const clean = { ...process.env };
    for (const k of ["http_proxy", "HTTP_PROXY", "PORT", "HOST", "PONG_URL", "NO_PROXY", "no_proxy"])
      delete clean[k];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...clean, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let seen = 0;
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (/listening on/.test(line) && ++seen === count) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

async function metric(adminPort: number, name: string): Promise<number> {
  const all = (await (await fetch(`http://127.0.0.1:${adminPort}/admin/metrics.json`)).json()) as Record<
    string,
    number
  >;
  return all[name] ?? 0;
}

describe("the article's mesh", () => {
  it("01-sidecar.yaml as written: ping -> its sidecar -> pong, with `http_proxy` and `http://pong/pong`", async () => {
    const [pong, ping, sidecar, admin] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const config = withPorts("01-sidecar.yaml", { 8002: pong, 4001: sidecar, 9990: admin });
    await start(["examples/ping-pong/pong.ts", "--port", String(pong)], 1);
    await start(["bin/trellis.js", "proxy", config], 2);
    await start(["examples/ping-pong/ping.ts", "--port", String(ping)], 1, {
      http_proxy: `http://127.0.0.1:${sidecar}`,
    });
    const answer = await get(`http://127.0.0.1:${ping}/`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    // The router is labelled `outging`, the article's spelling, and it counted the call.
    assert.equal(await metric(admin, `rt/outging/server/0.0.0.0/${sidecar}/requests`), 1);
    assert.equal(await metric(admin, "rt/outging/service/svc/pong/requests"), 1);
  });

  it("both sidecars (the Service Mesh section): ping -> ping's sidecar -> pong's sidecar -> pong, counted by both", async () => {
    const names = [
      "ping",
      "pong",
      "pingOut",
      "pingIn",
      "pongOut",
      "pongIn",
      "pingAdmin",
      "pongAdmin",
    ] as const;
    const p = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()]))) as Record<
      (typeof names)[number],
      number
    >;
    const ports = {
      8001: p.ping,
      8002: p.pong,
      4001: p.pingOut,
      4002: p.pingIn,
      4003: p.pongOut,
      4004: p.pongIn,
      9990: p.pingAdmin,
      9992: p.pongAdmin,
    };
    await start(["examples/ping-pong/pong.ts", "--port", String(p.pong)], 1);
    await start(["bin/trellis.js", "proxy", withPorts("local/pong-sidecar.yaml", ports)], 3);
    await start(["bin/trellis.js", "proxy", withPorts("local/ping-sidecar.yaml", ports)], 3);
    await start(["examples/ping-pong/ping.ts", "--port", String(p.ping)], 1, {
      http_proxy: `http://127.0.0.1:${p.pingOut}`,
    });
    for (let i = 0; i < 3; i++) {
      const answer = await get(`http://127.0.0.1:${p.ping}/`);
      assert.equal(answer.body, "I'm ping, talk to pong with response: pong");
    }
    assert.equal(await metric(p.pingAdmin, `rt/outgoing/server/127.0.0.1/${p.pingOut}/requests`), 3);
    assert.equal(await metric(p.pingAdmin, `rt/outgoing/client/$/inet/127.1/${p.pongIn}/requests`), 3);
    assert.equal(await metric(p.pongAdmin, `rt/incoming/server/127.0.0.1/${p.pongIn}/requests`), 3);
    assert.equal(await metric(p.pongAdmin, "rt/incoming/service/svc/pong/success"), 3);
  });
});
