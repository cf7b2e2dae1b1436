// Reads a config file (or standard input for `-`) and parses it: JSON when it starts with `{`, YAML otherwise.

import { readFileSync } from "node:fs";
import { load, YAMLException } from "js-yaml";
import { ConfigError } from "./config-error.ts";

/** The raw text of the config at `location` (a file path, or `-` for standard input). */
export function readConfigText(location: string): string {
  try {
    return readFileSync(location === "-" ? 0 : location, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = location === "-" ? "standard input" : location;
    const why =
      err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message;
    throw new ConfigError(what, [{ path: "", message: `cannot read ${what}: ${why}` }]);
  }
}

/**
 * Parses config text into plain data. JSON is parsed as the YAML subset it is, so both forms reject a key that
 * appears twice in one mapping (as Linkerd's Jackson parser does) and report the line and column of a mistake.
 */
export function parseConfigText(text: string, source: string): unknown {
  const json = text.trimStart().startsWith("{");
  if (json) {
    // JSON is strict JSON: the YAML parser below would also take trailing commas and comments.
    try {
      JSON.parse(text);
    } catch (e) {
      throw new ConfigError(source, [{ path: "", message: `JSON syntax: ${(e as Error).message}` }]);
    }
  }
  try {
    const data = load(text, { filename: source, json: false });
    return data ?? {};
  } catch (e) {
    if (e instanceof YAMLException) {
      const mark = e.mark as { line?: number; column?: number } | undefined;
      const where = mark?.line === undefined ? "" : ` at ${mark.line + 1}:${(mark.column ?? 0) + 1}`;
      const reason = (e.reason ?? e.message).replace(/\s+\(\d+:\d+\)$/, "");
      throw new ConfigError(source, [
        { path: "", message: `${json ? "JSON" : "YAML"} syntax: ${reason}${where}` },
      ]);
    }
    throw e;
  }
}
