// `trellis namerd CONFIG`: loads a namerd config, starts namerd, and stops it cleanly on a signal.

import { dirname, resolve } from "node:path";
import { ConfigError } from "../config/config-error.ts";
import { loadNamerdConfig } from "../config/load-namerd.ts";
import type { NamerdConfig } from "../config/namerd-schema.ts";
import { NamerdProcess } from "../namerd/namerd-process.ts";
import { UsageError } from "./errors.ts";
import { describeConfigError } from "./proxy-command.ts";
import { holdYoungGeneration } from "./young-generation.ts";

export const NAMERD_USAGE = `Usage: trellis namerd CONFIG

Runs namerd as described by CONFIG, a namerd 1.x config file (YAML, or JSON when it starts with '{'); '-'
reads it from standard input. Keys: admin (default 127.0.0.1:9991), storage (io.l5d.inMemory, io.l5d.zk, or
io.trellis.durable, the default: dtabs in the directory 'namerd-data' beside the config file), namers, and
interfaces (io.l5d.httpController on 4180, io.l5d.thriftNameInterpreter on 4100; both bind 127.0.0.1 unless
the config says 'ip:'). SIGTERM or SIGINT stops it; so does POST /admin/shutdown.
`;

export async function namerdCommand(argv: string[], out: (text: string) => void): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out(NAMERD_USAGE);
    return 0;
  }
  if (argv.length !== 1)
    throw new UsageError(`namerd: expected one CONFIG argument, got ${argv.length}`, NAMERD_USAGE);
  const location = argv[0] as string;
  let config: NamerdConfig;
  try {
    config = loadNamerdConfig(location);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(describeConfigError(e));
      return 2;
    }
    throw e;
  }
  const configDir = location === "-" ? process.cwd() : dirname(resolve(location));
  let namerd: NamerdProcess;
  let stopping: Promise<void> | undefined;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  const stop = () => {
    if (stopping) return;
    out("trellis: stopping\n");
    stopping = namerd.stop().then(() => resolveDone(0));
  };
  try {
    namerd = new NamerdProcess(config, { configDir, onShutdownRequest: () => stop() });
  } catch (e) {
    // The store could not be opened (a locked or unreadable data directory), or a plugin refused its settings.
    process.stderr.write(`trellis: cannot start namerd: ${(e as Error).message}\n`);
    return 1;
  }
  let started = false;
  let signalled = false;
  const onSignal = () => {
    if (started) stop();
    else signalled = true;
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const where = (namerd.store as { describe?: () => string }).describe?.();
  if (where !== undefined) out(`trellis: storage ${where}\n`);
  try {
    const listening = await namerd.start();
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
