// `trellis proxy CONFIG`: loads a Linkerd 1.x config, starts the linker, and stops it cleanly on a signal.

import { ConfigError } from "../config/config-error.ts";
import { loadLinkerConfig } from "../config/load-linker.ts";
import { Linker } from "../proxy/linker.ts";
import { UsageError } from "./errors.ts";
import { holdYoungGeneration } from "./young-generation.ts";

export const PROXY_USAGE = `Usage: trellis proxy CONFIG

Runs the sidecar proxy described by CONFIG, a Linkerd 1.x config file (YAML, or JSON when it starts with '{');
'-' reads it from standard input. Every server and the admin server bind 127.0.0.1 unless the config says 'ip:'.
SIGTERM or SIGINT stops it gracefully (admin.shutdownGraceMs, default 10 s); so does POST /admin/shutdown.
`;

/** Formats a config error for people: where, then each problem on its own line. */
export function describeConfigError(e: ConfigError): string {
  const lines = e.problems.map((p) => (p.path ? `  ${p.path}: ${p.message}` : `  ${p.message}`));
  return `trellis: ${e.source}: invalid config:\n${lines.join("\n")}\n`;
}

export async function proxyCommand(argv: string[], out: (text: string) => void): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out(PROXY_USAGE);
    return 0;
  }
  if (argv.length !== 1)
    throw new UsageError(`proxy: expected one CONFIG argument, got ${argv.length}`, PROXY_USAGE);
  let config: ReturnType<typeof loadLinkerConfig>;
  try {
    config = loadLinkerConfig(argv[0] as string);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(describeConfigError(e));
      return 2;
    }
    throw e;
  }
  let stopping: Promise<void> | undefined;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const stop = (graceMs?: number) => {
    if (stopping) return;
    out("trellis: stopping\n");
    stopping = linker.stop(graceMs).then(() => resolveDone(0));
  };
  let linker: Linker;
  try {
    linker = new Linker(config, {
      onShutdownRequest: (grace) => stop(grace),
      log: (line) => out(`trellis: ${line}\n`),
    });
  } catch (e) {
    // A plugin refused its settings in a way the schema could not see.
    process.stderr.write(`trellis: cannot start: ${(e as Error).message}\n`);
    return 2;
  }
  // Signals are handled from before the first socket opens, so that none can kill the process half-started.
  let started = false;
  let signalled = false;
  const onSignal = () => {
    if (started) stop();
    else signalled = true;
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    const listening = await linker.start();
    for (const l of listening) out(`trellis: ${l.what} listening on ${l.ip}:${l.port}\n`);
    holdYoungGeneration();
  } catch (e) {
    process.stderr.write(`trellis: ${(e as Error).message}\n`);
    return 1;
  }
  started = true;
  if (signalled) stop();
  return done;
}
