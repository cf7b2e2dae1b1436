// Loads a config: reads, parses, validates against a schema, runs whole-file checks, and freezes the result.

import * as v from "valibot";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { toProblems } from "./issues.ts";
import { parseConfigText, readConfigText } from "./read-config.ts";

/** Validates parsed data against `schema`, then `checks` (problems that involve more than one key). */
export function validateConfig<T>(
  data: unknown,
  source: string,
  schema: v.GenericSchema<unknown, T>,
  checks: (config: T) => ConfigProblem[] = () => [],
): T {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError(source, [
      { path: "", message: "expected a mapping of keys (admin, routers, ...) at the top" },
    ]);
  }
  const result = v.safeParse(schema, data, { abortEarly: false });
  if (!result.success) throw new ConfigError(source, toProblems(result.issues));
  const problems = checks(result.output);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze(result.output);
}

/** Reads and validates the config at `location` (a path, or `-` for standard input). */
export function loadConfig<T>(
  location: string,
  schema: v.GenericSchema<unknown, T>,
  checks?: (config: T) => ConfigProblem[],
): T {
  const source = location === "-" ? "standard input" : location;
  const data = parseConfigText(readConfigText(location), source);
  return validateConfig(data, source, schema, checks);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    // Only plain data is frozen; parsed values such as Path and Dtab are immutable already.
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === Array.prototype || proto === null) {
      Object.freeze(value);
      for (const v of Object.values(value as object)) deepFreeze(v);
    }
  }
  return value;
}
