// Shared plumbing for the ping and pong example services: flags and env, listening, request logs, clean exit.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIPv6 } from "node:net";
import { parseArgs } from "node:util";

/** An extra string flag a service takes, with the environment variable that supplies it when the flag is absent. */
export interface ExtraOption {
  readonly env: string;
  /** The placeholder for the value in the usage text (`URL`). */
  readonly metavar: string;
  readonly help: string;
  /** What applies when neither flag nor environment variable is given, for the usage text. */
  readonly defaultText: string;
}

export interface ServiceSpec {
  /** The service's name, which prefixes error messages (`pong: ...`). */
  readonly name: string;
  readonly defaultPort: number;
  readonly extra?: Readonly<Record<string, ExtraOption>>;
}

export interface ServiceOptions {
  readonly host: string;
  readonly port: number;
  /** The extra options by flag name; a flag wins over its environment variable, and empty counts as unset. */
  readonly extra: Readonly<Record<string, string | undefined>>;
}

/** How long in-flight requests may run after SIGTERM/SIGINT before their connections are cut. */
const SHUTDOWN_GRACE_MS = 3000;

/** Writes one line to standard output; a reader that went away (EPIPE) must not crash the service. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
process.stdout.on("error", () => {});

/** Prints `name: message` on standard error and exits with `code` (2 for a usage mistake, 1 for a failure). */
export function die(name: string, message: string, code: 1 | 2): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(code);
}

/** A timestamp in the form Go's `log` package prints (`2006/01/02 15:04:05`, local time). */
function goLogTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Logs like the article's Go code (`log.Println("Handle request")`), but to standard output. */
export function logRequest(): void {
  say(`${goLogTime(new Date())} Handle request`);
}

function usage(spec: ServiceSpec): string {
  const lines = [
    `usage: node examples/ping-pong/${spec.name}.ts [--host HOST] [--port PORT]${Object.entries(
      spec.extra ?? {},
    )
      .map(([k, o]) => ` [--${k} ${o.metavar}]`)
      .join("")}`,
    "  --host HOST   address to listen on (env HOST; default 127.0.0.1)",
    `  --port PORT   port to listen on, 0 for one the OS picks (env PORT; default ${spec.defaultPort})`,
  ];
  for (const [flag, o] of Object.entries(spec.extra ?? {}))
    lines.push(`  --${flag} ${o.metavar}  ${o.help} (env ${o.env}; default ${o.defaultText})`);
  lines.push("The first line on standard output is `listening on HOST:PORT`, with the port actually bound.");
  return lines.join("\n");
}

/** Reads `--host`, `--port` and the extra flags, falling back to the environment; exits 2 on a mistake. */
export function parseServiceArgs(
  spec: ServiceSpec,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): ServiceOptions {
  const options: Record<string, { type: "string" } | { type: "boolean"; short: string }> = {
    host: { type: "string" },
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  for (const flag of Object.keys(spec.extra ?? {})) options[flag] = { type: "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    die(spec.name, `${(e as Error).message}\n${usage(spec)}`, 2);
  }
  if (values.help === true) {
    say(usage(spec));
    process.exit(0);
  }
  const pick = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    if (typeof v === "string" && v !== "") return v;
    const e = env[envName];
    return e === undefined || e === "" ? undefined : e;
  };
  const host = pick("host", "HOST") ?? "127.0.0.1";
  const portText = pick("port", "PORT") ?? String(spec.defaultPort);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    die(spec.name, `port must be a whole number from 0 to 65535, not ${JSON.stringify(portText)}`, 2);
  }
  const extra: Record<string, string | undefined> = {};
  for (const [flag, o] of Object.entries(spec.extra ?? {})) extra[flag] = pick(flag, o.env);
  return { host, port: Number(portText), extra };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Starts the HTTP server, prints `listening on HOST:PORT` (the port really bound, so `--port 0` is usable) as
 * the first line on standard output, logs each request, and on SIGTERM/SIGINT stops accepting, lets in-flight
 * requests finish for a short grace period, and exits 0.
 */
export function serve(spec: ServiceSpec, options: ServiceOptions, handler: Handler): Server {
  const server = createServer((req, res) => {
    logRequest();
    handler(req, res);
  });
  server.on("error", (e: NodeJS.ErrnoException) => {
    die(spec.name, `cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`, 1);
  });
  server.listen(options.port, options.host, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : options.port;
    const host = isIPv6(options.host) ? `[${options.host}]` : options.host;
    say(`listening on ${host}:${port}`);
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return server;
}

/** Answers with a plain-text body, as Go's `fmt.Fprint*` to a ResponseWriter does (status 200, sniffed type). */
export function reply(res: ServerResponse, body: string | Buffer): void {
  if (res.destroyed) return;
  res.writeHead(200, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The path of a request target without its query, the part Go's ServeMux routes on. An absolute-form target
 * (`GET http://pong/pong`, as a client sends to a proxy) counts by its path, as Go's server does.
 */
export function requestPath(req: IncomingMessage): string {
  const target = req.url ?? "/";
  if (target.startsWith("/")) return target.split("?", 1)[0] ?? "/";
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}
