// Throwaway ZooKeeper servers for tests: Debian's package run by java on free loopback ports, alone or as an ensemble.

import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePorts } from "./ports.ts";

/** Debian's ZooKeeper server jar (package libzookeeper-java, pulled in by `zookeeper`); its manifest lists the rest. */
export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
/** An SLF4J binding that Debian ships, so the server's warnings reach its log file (used when present). */
const SLF4J_SIMPLE_JAR = "/usr/share/java/slf4j-simple.jar";
const MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/** How to get ZooKeeper when it is missing: said by skipped tests. */
export const ZOOKEEPER_INSTALL_HINT =
  "install Debian's ZooKeeper 3.8 with `sh scripts/ensure-zookeeper.sh` as root " +
  "(or `sudo apt-get update && sudo apt-get install -y zookeeper`)";

/** How long a server gets to answer after it is started. */
const START_TIMEOUT_MS = 30_000;
/** How long a server gets between SIGTERM and SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;

/** Why ZooKeeper cannot be run here, or undefined when it can; for `skip` reasons. */
export function zookeeperUnavailable(): string | undefined {
  if (!existsSync(ZOOKEEPER_JAR))
    return `ZooKeeper is not installed (no ${ZOOKEEPER_JAR}): ${ZOOKEEPER_INSTALL_HINT}`;
  if (findOnPath("java") === undefined) return `java is not on PATH: ${ZOOKEEPER_INSTALL_HINT}`;
  return undefined;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** A host and port, as the namer's `zkAddrs` takes them. */
export interface ZkAddr {
  readonly host: string;
  readonly port: number;
}

/** The quorum and election ports of one ensemble member, for `server.N=` lines. */
interface Peer {
  readonly id: number;
  readonly quorumPort: number;
  readonly electionPort: number;
}

export interface ZooKeeperServerOptions {
  /** ZooKeeper's time unit; sessions may last 2 to 100 ticks. Default 200 ms, so expiry tests are fast. */
  readonly tickTimeMs?: number;
  /** The client port (default: a free one). */
  readonly port?: number;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * One ZooKeeper server process with its own config and data directory. `stop()` or `kill()` ends it and
 * `start()` brings it back on the same port with the same data, as a server restart does.
 */
export class ZooKeeperServer {
  readonly dir: string;
  readonly port: number;
  readonly tickTimeMs: number;
  readonly #configFile: string;
  readonly #logFile: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    port: number,
    options: ZooKeeperServerOptions & { myid?: number; peers?: Peer[] } = {},
  ) {
    this.dir = dir;
    this.port = port;
    this.tickTimeMs = options.tickTimeMs ?? 200;
    const dataDir = join(dir, "data");
    mkdirSync(dataDir, { recursive: true });
    this.#configFile = join(dir, "zoo.cfg");
    this.#logFile = join(dir, "server.log");
    const lines = [
      `tickTime=${this.tickTimeMs}`,
      "initLimit=10",
      "syncLimit=5",
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      `minSessionTimeout=${2 * this.tickTimeMs}`,
      `maxSessionTimeout=${100 * this.tickTimeMs}`,
      "maxClientCnxns=0",
      "4lw.commands.whitelist=*",
      "admin.enableServer=false",
      "forceSync=no",
    ];
    for (const p of options.peers ?? []) {
      lines.push(`server.${p.id}=127.0.0.1:${p.quorumPort}:${p.electionPort}`);
    }
    writeFileSync(this.#configFile, `${lines.join("\n")}\n`);
    if (options.myid !== undefined) writeFileSync(join(dataDir, "myid"), `${options.myid}\n`);
  }

  /** A server alone on a free loopback port, in a fresh temporary directory, answering requests. */
  static async start(options: ZooKeeperServerOptions = {}): Promise<ZooKeeperServer> {
    const reason = zookeeperUnavailable();
    if (reason !== undefined) throw new Error(reason);
    const port = options.port ?? ((await freePorts(1))[0] as number);
    const server = new ZooKeeperServer(mkdtempSync(join(tmpdir(), "trellis-zk-")), port, options);
    try {
      await server.start();
    } catch (e) {
      await server.cleanup();
      throw e;
    }
    return server;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get zkAddrs(): ZkAddr[] {
    return [{ host: "127.0.0.1", port: this.port }];
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the process (if not running) and waits until it serves requests. */
  async start(waitUntilServing = true): Promise<void> {
    if (this.#child === undefined) this.#spawn();
    if (waitUntilServing) await this.waitUntilServing();
  }

  #spawn(): void {
    const classpath = [ZOOKEEPER_JAR, ...(existsSync(SLF4J_SIMPLE_JAR) ? [SLF4J_SIMPLE_JAR] : [])].join(":");
    const java = [
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-Xms16m",
      "-Xmx128m",
      "-Djava.net.preferIPv4Stack=true",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-cp",
      classpath,
      MAIN_CLASS,
      this.#configFile,
    ];
    // setpriv makes the kernel kill java when this test process dies, however it dies: no server is left behind.
    const setpriv = findOnPath("setpriv");
    const [command, args] =
      setpriv !== undefined ? [setpriv, ["--pdeathsig", "KILL", "--", "java", ...java]] : ["java", java];
    const log = `\n--- ${new Date().toISOString()} start: ${command} ${args.join(" ")}\n`;
    writeFileSync(this.#logFile, log, { flag: "a" });
    const child = spawn(command, args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    const append = (d: Buffer) => writeFileSync(this.#logFile, d, { flag: "a" });
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    running.add(child);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        running.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
  }

  /** Resolves once the server answers `srvr` as a member of a working quorum (or standalone). */
  async waitUntilServing(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#child === undefined)
        throw new Error(`ZooKeeper on port ${this.port} exited:\n${this.logTail()}`);
      const reply = await fourLetterWord(this.port, "srvr").catch(() => "");
      if (/^Mode: (standalone|leader|follower)$/m.test(reply)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `ZooKeeper on port ${this.port} not serving within ${timeoutMs} ms:\n${this.logTail()}`,
        );
      }
      await sleep(50);
    }
  }

  /** Its role: `standalone`, `leader`, `follower`, or undefined when it does not serve. */
  async mode(): Promise<string | undefined> {
    const reply = await fourLetterWord(this.port, "srvr").catch(() => "");
    return /^Mode: (\S+)$/m.exec(reply)?.[1];
  }

  /** Stops the server with SIGTERM (SIGKILL after 5 s); its data stays for a later `start()`. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Kills the server with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill("SIGKILL");
    await this.#exited;
  }

  /** Stops the server and removes its directory. */
  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The end of what the server printed, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.#logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

/** A ZooKeeper ensemble of `size` servers on loopback, each with its own directory, all serving. */
export class ZooKeeperEnsemble {
  readonly dir: string;
  readonly servers: readonly ZooKeeperServer[];

  private constructor(dir: string, servers: ZooKeeperServer[]) {
    this.dir = dir;
    this.servers = servers;
  }

  static async start(size = 3, options: ZooKeeperServerOptions = {}): Promise<ZooKeeperEnsemble> {
    const reason = zookeeperUnavailable();
    if (reason !== undefined) throw new Error(reason);
    const dir = mkdtempSync(join(tmpdir(), "trellis-zk-ensemble-"));
    const ports = await freePorts(3 * size);
    const peers: Peer[] = [];
    for (let i = 0; i < size; i++) {
      peers.push({
        id: i + 1,
        quorumPort: ports[3 * i + 1] as number,
        electionPort: ports[3 * i + 2] as number,
      });
    }
    const servers = peers.map(
      (p, i) =>
        new ZooKeeperServer(join(dir, `zk${p.id}`), ports[3 * i] as number, {
          ...options,
          myid: p.id,
          peers,
        }),
    );
    const ensemble = new ZooKeeperEnsemble(dir, servers);
    try {
      for (const s of servers) await s.start(false);
      await Promise.all(servers.map((s) => s.waitUntilServing()));
    } catch (e) {
      await ensemble.cleanup();
      throw e;
    }
    return ensemble;
  }

  get connectString(): string {
    return this.servers.map((s) => s.connectString).join(",");
  }

  get zkAddrs(): ZkAddr[] {
    return this.servers.flatMap((s) => s.zkAddrs);
  }

  /** The server that leads the quorum now. */
  async leader(): Promise<ZooKeeperServer> {
    for (const s of this.servers) if ((await s.mode()) === "leader") return s;
    throw new Error("no ZooKeeper in the ensemble is leader");
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends a four-letter word (`ruok`, `srvr`, `mntr`, `cons`...) and resolves with the whole reply. */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.end(word));
    socket.on("data", (d: Buffer) => {
      reply += d.toString();
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

/**
 * Expires a session from outside, as Curator's KillSession does: connects with the session's id and password
 * and closes the session at once. Both requests go in one write, so the session's own client cannot take it
 * back in between. Resolves true when the server knew the session (false if it had already expired).
 */
export function expireSession(
  port: number,
  session: { readonly id: Buffer; readonly password: Buffer },
  timeoutMs = 5000,
): Promise<boolean> {
  const connectBody = Buffer.alloc(4 + 8 + 4 + 8 + 4 + session.password.length);
  let at = connectBody.writeInt32BE(0, 0); // protocol version
  at = connectBody.writeBigInt64BE(0n, at); // last zxid seen
  at = connectBody.writeInt32BE(30_000, at); // timeout asked for
  at += session.id.copy(connectBody, at, 0, 8);
  at = connectBody.writeInt32BE(session.password.length, at);
  session.password.copy(connectBody, at);
  const close = Buffer.alloc(8);
  close.writeInt32BE(1, 0); // xid
  close.writeInt32BE(-11, 4); // closeSession
  const framed = [connectBody, close].map((b) => {
    const length = Buffer.alloc(4);
    length.writeInt32BE(b.length, 0);
    return Buffer.concat([length, b]);
  });
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`ZooKeeper did not close the session within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(Buffer.concat(framed)));
    socket.on("data", (d: Buffer) => {
      reply = Buffer.concat([reply, d]);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      // The connect response: length, protocol version, then the timeout granted (0: no such session).
      resolve(reply.length >= 12 && reply.readInt32BE(8) > 0);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A ZooKeeper client as far as `forceExpiry` needs it. */
export interface SessionHolder {
  session(): { readonly id: Buffer; readonly password: Buffer } | undefined;
  readonly sessionNumber: number;
  readonly state: string;
}

/**
 * Expires the session of `client` and resolves once the client runs on a new one. The session's own client
 * may reconnect in the instant between the two requests and keep its session, so this tries again until the
 * client reports a new session (within `attemptMs` of each try). It may also reconnect to the session just
 * as it is closed and be left on a connection that no longer answers, which its client must notice itself.
 */
export async function forceExpiry(
  port: number,
  client: SessionHolder,
  attemptMs = 3000,
  attempts = 5,
): Promise<void> {
  const before = client.sessionNumber;
  for (let i = 0; i < attempts; i++) {
    const session = client.session();
    // Refused: the client took its session back first, so try again soon.
    const closed = session !== undefined && (await expireSession(port, session));
    const deadline = Date.now() + (closed ? attemptMs : 300);
    while (Date.now() < deadline) {
      if (client.sessionNumber > before && client.state === "connected") return;
      await sleep(20);
    }
  }
  throw new Error(`the session was not replaced after ${attempts} tries`);
}
