// The registry of plugin kinds: each (category, kind) brings its config keys and its factory; duplicates are refused.

import * as v from "valibot";
import { bool } from "./schema-kit.ts";

/** A plugin kind: its name, the config keys it takes besides `kind`, and whether it must be marked experimental. */
export interface PluginKind<
  Entries extends v.ObjectEntries = v.ObjectEntries,
  Made = unknown,
  Context = unknown,
> {
  readonly kind: string;
  readonly entries: Entries;
  readonly experimental?: boolean;
  /** Checks across keys that the keys' own schemas cannot make; each problem names the key it is reported at. */
  validate?(
    config: v.InferOutput<v.StrictObjectSchema<Entries, undefined>>,
  ): readonly { readonly key: string; readonly message: string }[];
  make(config: v.InferOutput<v.StrictObjectSchema<Entries, undefined>>, context: Context): Made;
}

/** Declares a plugin kind with its config type inferred from its entries. */
export function pluginKind<Entries extends v.ObjectEntries, Made, Context>(
  spec: PluginKind<Entries, Made, Context>,
): PluginKind<Entries, Made, Context> {
  return spec;
}

/** A configured plugin: its kind and validated config, ready for `make`. */
export interface PluginConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** The kinds of one category (identifiers, namers, ...), each named once. */
export class PluginCategory<Made, Context> {
  readonly name: string;
  readonly #kinds = new Map<string, PluginKind<v.ObjectEntries, Made, Context>>();

  // biome-ignore lint/suspicious/noExplicitAny: each kind has its own entries; the category only needs the shape
  constructor(name: string, kinds: readonly PluginKind<any, Made, Context>[]) {
    this.name = name;
    for (const k of kinds as PluginKind<v.ObjectEntries, Made, Context>[]) {
      if (this.#kinds.has(k.kind)) throw new Error(`duplicate ${name} kind ${k.kind}`);
      this.#kinds.set(k.kind, k);
    }
  }

  get kinds(): string[] {
    return [...this.#kinds.keys()];
  }

  get(kind: string): PluginKind<v.ObjectEntries, Made, Context> | undefined {
    return this.#kinds.get(kind);
  }

  /** Builds the runtime object of a validated config. */
  make(config: PluginConfig, context: Context): Made {
    const kind = this.#kinds.get(config.kind);
    if (kind === undefined) throw new Error(`unknown ${this.name} kind ${config.kind}`);
    return kind.make(config as never, context);
  }

  /**
   * The schema of one config object of this category: `kind` picks the plugin, whose keys are then checked
   * strictly; an experimental kind must say `experimental: true`.
   */
  schema(): v.GenericSchema<unknown, PluginConfig> {
    const options = [...this.#kinds.values()].map((k) =>
      v.pipe(
        v.strictObject({ kind: v.literal(k.kind), experimental: v.optional(bool()), ...k.entries }),
        v.check(
          (c) => !k.experimental || (c as { experimental?: boolean }).experimental === true,
          `${k.kind} is experimental: set experimental: true to use it`,
        ),
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed || k.validate === undefined) return;
          const input = dataset.value as Record<string, unknown>;
          for (const p of k.validate(dataset.value as never)) {
            addIssue({
              message: p.message,
              path: [{ type: "object", origin: "value", input, key: p.key, value: input[p.key] }],
            });
          }
        }),
      ),
    );
    const known = this.kinds.join(", ");
    return v.pipe(
      v.looseObject({ kind: v.string(`expected a ${this.name} kind (one of ${known})`) }),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const kind = dataset.value.kind;
        if (!this.#kinds.has(kind)) {
          addIssue({
            message: `unknown ${this.name} kind ${JSON.stringify(kind)} (known: ${known || "none yet"})`,
            path: [
              {
                type: "object",
                origin: "value",
                input: dataset.value,
                key: "kind",
                value: kind,
              },
            ],
          });
        }
      }),
      v.variant("kind", options as never),
    ) as unknown as v.GenericSchema<unknown, PluginConfig>;
  }
}
