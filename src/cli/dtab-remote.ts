// `trellis dtab list|get|create|update|delete` and `delegate --namespace`: namerctl's operations against namerd's HTTP API.

import { readFileSync } from "node:fs";
import { readDelegateJson } from "../namerd/client/delegate-json-read.ts";
import {
  NamerdHttpClient,
  NamerdHttpError,
  NamerdUnreachableError,
} from "../namerd/client/namerd-http-client.ts";
import { drawDelegateTree } from "../naming/index.ts";
import { UsageError } from "./errors.ts";

/** Where namerd's HTTP controller is unless `--base-url` or NAMERCTL_BASE_URL says otherwise. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:4180";

/** The commands that talk to namerd, with namerctl's aliases. */
export const REMOTE_COMMANDS: Record<string, string> = {
  list: "list",
  ls: "list",
  get: "get",
  cat: "get",
  create: "create",
  new: "create",
  update: "update",
  up: "update",
  delete: "delete",
  del: "delete",
  rm: "delete",
};

export interface RemoteOptions {
  readonly "base-url"?: string;
  readonly token?: string;
  readonly version?: string;
  readonly json?: boolean;
  readonly pretty?: boolean;
  readonly namespace?: string;
  readonly dtab?: string;
}

function client(o: RemoteOptions): NamerdHttpClient {
  const baseUrl = o["base-url"] ?? process.env.NAMERCTL_BASE_URL ?? DEFAULT_BASE_URL;
  try {
    return new NamerdHttpClient({ baseUrl, token: o.token ?? process.env.TRELLIS_NAMERD_TOKEN });
  } catch (e) {
    throw new UsageError(
      `--base-url: ${(e as Error).message.replace(/^Invalid URL.*/, `not a URL: ${baseUrl}`)}`,
    );
  }
}

function args(positionals: string[], count: number, usage: string): string[] {
  if (positionals.length !== count) throw new UsageError(`dtab ${usage}`);
  return positionals;
}

/** A dtab file's text ('-' for standard input), and how to send it: JSON when it starts with `{` or `[`, as namerctl. */
function readDtabFile(file: string): { text: string; contentType: string; version?: string } {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(
      `cannot read ${file === "-" ? "standard input" : file}: ${err.code === "ENOENT" ? "no such file" : err.message}`,
    );
  }
  const start = text.trimStart()[0];
  if (start !== "{" && start !== "[") return { text, contentType: "application/dtab" };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  // namerctl's JSON form is the one `get --json` prints: {"version":..,"dtab":[..]}; a bare list of dentries works too.
  if (Array.isArray(data)) return { text: JSON.stringify(data), contentType: "application/json" };
  const o = data as { dtab?: unknown; version?: unknown };
  if (!Array.isArray(o?.dtab))
    throw new UsageError(
      `${file}: expected {"dtab":[{"prefix":..,"dst":..}],"version":..} or a list of dentries`,
    );
  return {
    text: JSON.stringify(o.dtab),
    contentType: "application/json",
    version: typeof o.version === "string" && o.version !== "" ? o.version : undefined,
  };
}

/** namerctl's pretty form: one dentry a line, arrows aligned, each line ending in ` ;`. */
export function prettyDentries(dentries: readonly { prefix: string; dst: string }[]): string {
  const width = Math.max(0, ...dentries.map((d) => d.prefix.length));
  return dentries
    .map((d) => `${d.prefix}  ${"=>".padStart(width - d.prefix.length + 2)} ${d.dst} ;\n`)
    .join("");
}

/** Runs a remote command; resolves with the exit status (errors from namerd: 1, printed with namerd's message). */
export async function dtabRemoteCommand(
  command: string,
  positionals: string[],
  o: RemoteOptions,
  out: (text: string) => void,
): Promise<number> {
  const name = REMOTE_COMMANDS[command] ?? command;
  const ns = positionals[0];
  try {
    switch (name) {
      case "list": {
        args(positionals, 0, "list takes no arguments");
        const names = await client(o).list();
        out(o.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(""));
        return 0;
      }
      case "get": {
        args(positionals, 1, "get: expected a namespace NS");
        const v = await client(o).get(ns as string);
        if (o.json) out(`${JSON.stringify({ version: v.version, dtab: v.dtab })}\n`);
        else if (o.pretty === false) out(`${v.dtab.map((d) => `${d.prefix}=>${d.dst};`).join("")}\n`);
        else out(`${v.version ? `# version ${v.version}\n` : ""}${prettyDentries(v.dtab)}`);
        return 0;
      }
      case "create": {
        args(positionals, 2, "create: expected a namespace NS and a FILE (or - for standard input)");
        await client(o).create(ns as string, readDtabFile(positionals[1] as string));
        out(`Created ${ns}\n`);
        return 0;
      }
      case "update": {
        args(positionals, 2, "update: expected a namespace NS and a FILE (or - for standard input)");
        const body = readDtabFile(positionals[1] as string);
        await client(o).update(ns as string, body, o.version ?? body.version);
        out(`Updated ${ns}\n`);
        return 0;
      }
      case "delete": {
        args(positionals, 1, "delete: expected a namespace NS");
        await client(o).delete(ns as string);
        out(`Deleted ${ns}\n`);
        return 0;
      }
      case "delegate": {
        args(positionals, 1, "delegate: expected one PATH");
        const json = await client(o).delegate(o.namespace ?? "default", positionals[0] as string, o.dtab);
        if (o.json) {
          out(`${JSON.stringify(json)}\n`);
          return 0;
        }
        const { tree, addrs } = readDelegateJson(json);
        out(`${drawDelegateTree(tree, addrs)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`dtab: unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof NamerdHttpError) {
      const what =
        e.status === 404 && ns !== undefined && name !== "delegate" ? `namespace ${ns} not found: ` : "";
      process.stderr.write(`trellis: dtab ${name}${ns !== undefined ? ` ${ns}` : ""}: ${what}${e.message}\n`);
      return 1;
    }
    if (e instanceof NamerdUnreachableError) {
      process.stderr.write(`trellis: dtab ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
