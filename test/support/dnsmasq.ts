// A throwaway DNS server for tests: Debian's dnsmasq on a free loopback port, answering SRV and A records from its own config.

import { type ChildProcess, spawn } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePorts } from "./ports.ts";

/** How to get dnsmasq when it is missing: said by skipped tests. */
export const DNSMASQ_INSTALL_HINT =
  "install Debian's dnsmasq with `sh scripts/ensure-dnsmasq.sh` as root " +
  "(or `sudo apt-get update && sudo apt-get install -y dnsmasq-base`)";

function findExecutable(name: string, extraDirs: readonly string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extraDirs]) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** dnsmasq lives in /usr/sbin, which a user's PATH may lack. */
const DNSMASQ = findExecutable("dnsmasq", ["/usr/sbin", "/sbin"]);

/** Why dnsmasq cannot be run here, or undefined when it can; for `skip` reasons. */
export function dnsmasqUnavailable(): string | undefined {
  return DNSMASQ === undefined ? `dnsmasq is not installed: ${DNSMASQ_INSTALL_HINT}` : undefined;
}

/** An SRV record: `name` points at `target`:`port`. */
export interface SrvRecord {
  readonly name: string;
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

/** What the server answers: SRV records and host names' addresses; any other name under `.test` is NXDOMAIN. */
export interface DnsRecords {
  readonly srv?: readonly SrvRecord[];
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * One dnsmasq process on 127.0.0.1 and a free port (UDP and TCP), authoritative for `.test` and forwarding
 * nothing. `setRecords()` restarts it with other records on the same port, as a DNS change would look.
 */
export class Dnsmasq {
  readonly dir: string;
  readonly port: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stderr = "";

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** A server answering `records`, ready to answer. */
  static async start(records: DnsRecords): Promise<Dnsmasq> {
    const reason = dnsmasqUnavailable();
    if (reason !== undefined) throw new Error(reason);
    let lastError: unknown;
    // A port free for TCP may still be taken for UDP: try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      const [port] = (await freePorts(1)) as [number];
      const server = new Dnsmasq(mkdtempSync(join(tmpdir(), "trellis-dnsmasq-")), port);
      try {
        await server.setRecords(records);
        return server;
      } catch (e) {
        lastError = e;
        await server.cleanup();
      }
    }
    throw lastError;
  }

  /** `127.0.0.1:<port>`, as a `dnsHosts` entry. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the server answering `records`, and waits until it answers. */
  async setRecords(records: DnsRecords): Promise<void> {
    await this.stop();
    const lines = [
      `port=${this.port}`,
      "listen-address=127.0.0.1",
      "bind-interfaces",
      "no-resolv",
      "no-hosts",
      "no-negcache",
      "local=/test/",
      "pid-file=",
      `log-facility=${join(this.dir, "dnsmasq.log")}`,
    ];
    for (const r of records.srv ?? []) {
      lines.push(`srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`);
    }
    for (const [name, ips] of Object.entries(records.hosts ?? {})) {
      lines.push(`host-record=${name},${ips.join(",")}`);
    }
    const conf = join(this.dir, "dnsmasq.conf");
    writeFileSync(conf, `${lines.join("\n")}\n`);
    const args = ["--keep-in-foreground", `--conf-file=${conf}`];
    // setpriv makes the kernel kill dnsmasq when this test process dies, however it dies.
    const setpriv = findExecutable("setpriv");
    const [command, argv] =
      setpriv !== undefined
        ? [setpriv, ["--pdeathsig", "KILL", "--", DNSMASQ as string, ...args]]
        : [DNSMASQ as string, args];
    const child = spawn(command, argv, { stdio: ["ignore", "ignore", "pipe"] });
    this.#stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      this.#stderr += d.toString();
    });
    running.add(child);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        running.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    await this.#waitUntilAnswering();
  }

  async #waitUntilAnswering(timeoutMs = 10_000): Promise<void> {
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([this.address]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#child === undefined) throw new Error(`dnsmasq exited: ${this.#stderr}${this.logTail()}`);
      try {
        await resolver.resolve4("trellis-probe.test");
        return;
      } catch (e) {
        // NXDOMAIN is an answer: the server is up.
        if ((e as { code?: string }).code === "ENOTFOUND") return;
      }
      if (Date.now() > deadline)
        throw new Error(`dnsmasq not answering within ${timeoutMs} ms: ${this.#stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the server (SIGTERM); `setRecords` starts it again. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await this.#exited;
    clearTimeout(timer);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(join(this.dir, "dnsmasq.log"), "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}
