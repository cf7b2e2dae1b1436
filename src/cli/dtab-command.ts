// `trellis dtab ...`: show, lookup and delegate offline; list, get, create, update, delete and delegate against namerd.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { GlobalNamer } from "../namers/global.ts";
import {
  ActivityTimeoutError,
  type BoundName,
  ConfiguredNamersInterpreter,
  type DelegateTree,
  delegateTreeToJson,
  drawDelegateTree,
  readDtab,
  readPath,
  resolveAddrs,
  showPathTree,
} from "../naming/index.ts";
import { DEFAULT_BASE_URL, dtabRemoteCommand, REMOTE_COMMANDS } from "./dtab-remote.ts";
import { parseInput, UsageError } from "./errors.ts";

export const DTAB_USAGE = `Usage: trellis dtab <command> [options]

Work with dtabs (delegation tables), the routing rules of Linkerd 1.x: offline, or stored in namerd.

Offline:
  show TEXT|-                      Print the dtab in its shown form (one line, as sent in l5d-dtab headers)
                                   --pretty prints one entry per line
  lookup --dtab TEXT PATH          Print the name tree that the dtab's lookup of PATH gives
  delegate --dtab TEXT PATH        Explain how PATH is bound: every dentry tried, every branch, the addresses
                                   --json prints the tree as Linkerd's /delegator.json does
                                   --timeout-ms N waits at most N ms for names to resolve (default 2000)

Against namerd's HTTP API (namerctl's commands and aliases):
  list (ls)                        The namespaces, one a line (--json: a JSON list)
  get (cat) NS                     The namespace's dtab, '# version V' first; --no-pretty one line,
                                   --json {"version":..,"dtab":[..]} (the form create and update read back)
  create (new) NS FILE|-           Create a namespace (FILE is dtab text, or JSON when it starts with { or [)
  update (up) NS FILE|-            Replace its dtab; --version V only if the stored version is still V (else 412)
  delete (del, rm) NS              Delete it
  delegate --namespace NS PATH     Explain PATH as namerd binds it in NS (--dtab TEXT appends a dtab; --json)
  Options: --base-url URL (default $NAMERCTL_BASE_URL or ${DEFAULT_BASE_URL}), --token T (or
  $TRELLIS_NAMERD_TOKEN) for a controller with a writeToken. namerd's errors are printed, exit status 1.

TEXT is dtab text (entries separated by ';', '#' comments allowed); '-' reads it from standard input.
Built-in namers resolve /$/inet/<host>/<port>, /$/inet/<port>, /$/fixedinet, /$/nil, /$/fail and Linkerd's
rewriting namers (/$/io.buoyant.rinet, /$/io.buoyant.hostportPfx, /$/io.buoyant.http.domainToPathPfx, ...).

Examples:
  trellis dtab show '/svc => /#/io.l5d.fs; /svc/pong => /$/inet/127.1/8002'
  trellis dtab lookup --dtab '/svc => /srv | /fallback; /srv/pong => /$/inet/127.1/8002' /svc/pong
  trellis dtab delegate --dtab '/svc/pong => /$/inet/127.1/8002' /svc/pong
  trellis dtab get default --base-url http://127.0.0.1:4180
  trellis dtab update default new-dtab.txt --version AAAAAAAAAAE=
`;

/** The options each command takes; any other is refused rather than silently ignored. */
const OPTIONS_OF: Record<string, string[]> = {
  show: ["pretty"],
  lookup: ["dtab"],
  delegate: ["dtab", "json", "timeout-ms", "namespace", "base-url", "token"],
  list: ["json", "base-url", "token"],
  get: ["json", "pretty", "base-url", "token"],
  create: ["base-url", "token"],
  update: ["version", "base-url", "token"],
  delete: ["base-url", "token"],
};

function readText(value: string): string {
  if (value !== "-") return value;
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read the dtab from standard input: ${(e as Error).message}`);
  }
}

function args(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        dtab: { type: "string" },
        json: { type: "boolean", default: false },
        pretty: { type: "boolean" },
        "timeout-ms": { type: "string" },
        "base-url": { type: "string" },
        namespace: { type: "string" },
        version: { type: "string" },
        token: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

function onePositional(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`dtab ${command}: expected one ${what}, got ${positionals.length}`);
  }
  return positionals[0] as string;
}

function needDtab(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError(`dtab ${command}: --dtab TEXT is required`);
  return readText(value);
}

export async function dtabCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(DTAB_USAGE);
    return 2;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    out(DTAB_USAGE);
    return 0;
  }
  const { values, positionals } = args(rest);
  if (values.help) {
    out(DTAB_USAGE);
    return 0;
  }
  const allowed = OPTIONS_OF[REMOTE_COMMANDS[command] ?? command];
  if (allowed !== undefined) {
    for (const name of Object.keys(values)) {
      const given = (values as Record<string, unknown>)[name];
      if (name !== "help" && given !== undefined && given !== false && !allowed.includes(name)) {
        throw new UsageError(
          `dtab ${command}: --${name} does not apply here (options: ${allowed.map((o) => `--${o}`).join(", ") || "none"})`,
        );
      }
    }
  }
  const remote = REMOTE_COMMANDS[command];
  if (remote !== undefined) return dtabRemoteCommand(remote, positionals, values, out);
  if (command === "delegate" && (values.namespace !== undefined || values["base-url"] !== undefined)) {
    const dtab = values.dtab === undefined ? undefined : readText(values.dtab);
    return dtabRemoteCommand("delegate", positionals, { ...values, dtab }, out);
  }
  switch (command) {
    case "show": {
      const text = readText(onePositional(positionals, "dtab TEXT", "show"));
      const dtab = parseInput("dtab", text, readDtab);
      out(`${values.pretty ? dtab.pretty : dtab.show}\n`);
      return 0;
    }
    case "lookup": {
      const dtab = parseInput("dtab", needDtab(values.dtab, "lookup"), readDtab);
      const path = parseInput("path", onePositional(positionals, "PATH", "lookup"), readPath);
      out(`${showPathTree(dtab.lookup(path))}\n`);
      return 0;
    }
    case "delegate": {
      const dtab = parseInput("dtab", needDtab(values.dtab, "delegate"), readDtab);
      const path = parseInput("path", onePositional(positionals, "PATH", "delegate"), readPath);
      const timeoutMs = parseTimeout(values["timeout-ms"]);
      const started = Date.now();
      const interpreter = new ConfiguredNamersInterpreter([], new GlobalNamer());
      let tree: DelegateTree<BoundName>;
      try {
        tree = await interpreter.delegate(dtab, path).toPromise(timeoutMs);
      } catch (e) {
        const why =
          e instanceof ActivityTimeoutError ? `no answer within ${timeoutMs} ms` : (e as Error).message;
        process.stderr.write(`trellis: dtab delegate ${path.show}: ${why}\n`);
        return 1;
      }
      const addrs = await resolveAddrs(tree, Math.max(0, timeoutMs - (Date.now() - started)));
      out(
        values.json
          ? `${JSON.stringify(delegateTreeToJson(tree, addrs))}\n`
          : `${drawDelegateTree(tree, addrs)}\n`,
      );
      return 0;
    }
    default:
      throw new UsageError(
        `dtab: unknown command '${command}' (try: show, lookup, delegate, list, get, create, update, delete)`,
      );
  }
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 2000;
  if (!/^[0-9]+$/.test(value))
    throw new UsageError(`--timeout-ms: expected a whole number of milliseconds, got "${value}"`);
  return Number(value);
}
