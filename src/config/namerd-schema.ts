// The schema of a namerd config file: namerd 1.x's keys (admin on 9991, storage, namers, interfaces, telemetry).

import * as v from "valibot";
import { adminSchema } from "./linker-schema.ts";
import type { PluginCategory, PluginConfig } from "./registry.ts";

/** The categories of plugin kinds a namerd config refers to. */
export interface NamerdPluginCategories {
  readonly storage: PluginCategory<unknown, never>;
  readonly interfaces: PluginCategory<unknown, never>;
  readonly namers: PluginCategory<unknown, never>;
  readonly telemeters: PluginCategory<unknown, never>;
}

/** The durable local store used when a config names no `storage` (the embedded default). */
export const DEFAULT_STORAGE: PluginConfig = { kind: "io.trellis.durable", dir: "namerd-data" };

/** The whole namerd config: `admin`, `storage` (default: durable on local disk), `namers`, `interfaces` (required). */
export function namerdSchema(p: NamerdPluginCategories) {
  return v.strictObject({
    admin: adminSchema(9991),
    storage: v.optional(p.storage.schema(), DEFAULT_STORAGE),
    namers: v.optional(v.array(p.namers.schema(), "expected a list of namers"), []),
    interfaces: v.pipe(
      v.array(p.interfaces.schema(), "expected a list of interfaces"),
      v.minLength(
        1,
        "at least one interface is required (io.l5d.httpController, io.l5d.thriftNameInterpreter)",
      ),
    ),
    telemetry: v.optional(v.array(p.telemeters.schema(), "expected a list of telemeters"), []),
  });
}

export type NamerdConfig = v.InferOutput<ReturnType<typeof namerdSchema>>;
