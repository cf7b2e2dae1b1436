// The `trellis` command: dispatches to its subcommands and turns user mistakes into messages and exit codes.

import { dtabCommand } from "./dtab-command.ts";
import { UsageError } from "./errors.ts";
import { namerdCommand } from "./namerd-command.ts";
import { passthroughCommand } from "./passthrough-command.ts";
import { proxyCommand } from "./proxy-command.ts";
import { registerCommand } from "./register-command.ts";

const USAGE = `Usage: trellis <command> [options]

Trellis is a service mesh: a drop-in successor to Linkerd 1.x and namerd.

Commands:
  proxy      Run the sidecar proxy from a Linkerd 1.x config file (trellis proxy --help)
  namerd     Run namerd, the central dtab store and name resolver, from a namerd config (trellis namerd --help)
  passthrough  A bare pass-through proxy on the same data path, the floor for benchmarks
  dtab       Work with dtabs offline (show, lookup, delegate) or in namerd (list, get, create, update, delete)
  register   Register a service without a sidecar in a ZooKeeper serverset (trellis register --help)
  version    Print the version of trellis and of the Node.js it runs on
  help       Print this help

Run 'trellis <command> --help' for a command's options.
`;

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main(argv: string[], version = "unknown"): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      case "help":
      case "--help":
      case "-h":
        out(USAGE);
        return 0;
      case "version":
      case "--version":
        out(`trellis ${version} (node ${process.versions.node})\n`);
        return 0;
      case "dtab":
        return await dtabCommand(rest, out);
      case "proxy":
        return await proxyCommand(rest, out);
      case "namerd":
        return await namerdCommand(rest, out);
      case "passthrough":
        return await passthroughCommand(rest, out);
      case "register":
        return await registerCommand(rest, out);
      default:
        throw new UsageError(`unknown command '${command}'; run 'trellis --help' for the list`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`trellis: ${e.message}\n${e.detail ? `${e.detail}\n` : ""}`);
      return 2;
    }
    process.stderr.write(`trellis: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
