// ConfigError: every problem found in a config file, each with the key's path (`routers[0].servers[1].port`).

export interface ConfigProblem {
  /** Where: `routers[0].servers[1].port`, or empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

/** A config that cannot be used; the process refuses to start (exit status 2) and prints every problem. */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("\n"));
    this.name = "ConfigError";
    this.source = source;
    this.problems = problems;
  }
}

/** Renders a key path from its parts: `routers[0].servers[1].port`. */
export function keyPath(parts: readonly (string | number)[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}
