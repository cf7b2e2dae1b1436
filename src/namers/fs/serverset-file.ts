// Parses an io.l5d.fs service file: one `host port` or `host port * weight` a line, `#` comments, blank lines.

import { parsePort } from "../inet/ip-literal.ts";

export interface FileEntry {
  readonly host: string;
  readonly port: number;
  /** The weight after `*`, when one is given. */
  readonly weight: number | undefined;
}

/** A line that is not `host port [* weight]`, with where it is. */
export class FileSyntaxError extends Error {
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "FileSyntaxError";
    this.line = line;
  }
}

const HOST = /^[A-Za-z0-9._:-]+$/;
const WEIGHT = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/** The entries of a service file; throws a FileSyntaxError naming `file` and the line of the first mistake. */
export function parseServiceFile(file: string, text: string): FileEntry[] {
  const entries: FileEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") return;
    const words = line.split(/\s+/);
    const n = i + 1;
    if (words.length !== 2 && words.length !== 4) {
      throw new FileSyntaxError(
        file,
        n,
        `expected "host port" or "host port * weight", got ${JSON.stringify(line)}`,
      );
    }
    const [host, portText, star, weightText] = words as [string, string, string?, string?];
    if (!HOST.test(host))
      throw new FileSyntaxError(file, n, `not a host name or address: ${JSON.stringify(host)}`);
    const port = parsePort(portText);
    if (port === undefined || port === 0) {
      throw new FileSyntaxError(file, n, `expected a port from 1 to 65535, got ${JSON.stringify(portText)}`);
    }
    let weight: number | undefined;
    if (star !== undefined) {
      if (star !== "*")
        throw new FileSyntaxError(file, n, `expected "*" before the weight, got ${JSON.stringify(star)}`);
      if (weightText === undefined || !WEIGHT.test(weightText)) {
        throw new FileSyntaxError(
          file,
          n,
          `expected a weight (a number), got ${JSON.stringify(weightText ?? "")}`,
        );
      }
      weight = Number(weightText);
    }
    entries.push({ host, port, weight });
  });
  return entries;
}
