// Loads a namerd config file: namerd 1.x's config, validated with the built-in plugin kinds.

import { interfaceKinds, namerKinds, storageKinds, telemeterKinds } from "../plugins.ts";
import { loadConfig, validateConfig } from "./load-config.ts";
import { checkNamerd } from "./namerd-checks.ts";
import { type NamerdConfig, namerdSchema } from "./namerd-schema.ts";

let schema: ReturnType<typeof namerdSchema> | undefined;

function namerd() {
  schema ??= namerdSchema({
    storage: storageKinds,
    interfaces: interfaceKinds,
    namers: namerKinds,
    telemeters: telemeterKinds,
  });
  return schema;
}

/** Reads and validates the namerd config at `location` (a file path, or `-` for standard input). */
export function loadNamerdConfig(location: string): NamerdConfig {
  return loadConfig(location, namerd(), checkNamerd);
}

/** Validates already-parsed namerd config data (tests, embedded defaults). */
export function validateNamerdConfig(data: unknown, source = "config"): NamerdConfig {
  return validateConfig(data, source, namerd(), checkNamerd);
}
