// Loads a proxy config file: Linkerd 1.x's linker config, validated with the built-in plugin kinds.

import { linkerPlugins } from "../plugins.ts";
import { checkLinker } from "./linker-checks.ts";
import { type LinkerConfig, linkerSchema } from "./linker-schema.ts";
import { loadConfig, validateConfig } from "./load-config.ts";

let schema: ReturnType<typeof linkerSchema> | undefined;

function linker() {
  schema ??= linkerSchema(linkerPlugins);
  return schema;
}

/** Reads and validates the linker config at `location` (a file path, or `-` for standard input). */
export function loadLinkerConfig(location: string): LinkerConfig {
  return loadConfig(location, linker(), checkLinker);
}

/** Validates already-parsed linker config data (tests, embedded defaults). */
export function validateLinkerConfig(data: unknown, source = "config"): LinkerConfig {
  return validateConfig(data, source, linker(), checkLinker);
}
