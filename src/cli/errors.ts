// The command line's error kinds: a user's mistake (exit 2, message only) versus a failure at run time (exit 1).

import { NameSyntaxError } from "../naming/index.ts";

/** A mistake in how the command was called or in what it was given; printed without a stack, exit status 2. */
export class UsageError extends Error {
  readonly detail: string | undefined;
  constructor(message: string, detail?: string) {
    super(message);
    this.name = "UsageError";
    this.detail = detail;
  }
}

/** Parses `text` with `parse`, turning a syntax error into a UsageError labelled with what was being read. */
export function parseInput<T>(what: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof NameSyntaxError) throw new UsageError(`${what}: ${e.message}`, e.excerpt);
    throw e;
  }
}
