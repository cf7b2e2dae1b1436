// The `service` and `client` blocks of a router: Linkerd's io.l5d.global and io.l5d.static, with their keys and defaults.

import * as v from "valibot";
import { PathPattern, PathPatternError } from "../naming/path-pattern.ts";
import type { BackoffConfig } from "../retry/backoff.ts";
import type { RetryBudgetConfig } from "../retry/retry-budget.ts";
import type { PluginCategory, PluginConfig } from "./registry.ts";
import { bool, duration, int, str } from "./schema-kit.ts";

/** The plugin categories these blocks refer to. */
export interface PolicyPluginCategories {
  readonly responseClassifiers: PluginCategory<unknown, never>;
  readonly loadBalancers: PluginCategory<unknown, never>;
  readonly failureAccruals: PluginCategory<unknown, never>;
}

/** A key Linkerd has and Trellis does not implement yet: refused with that reason instead of "unknown key". */
function notYet(what: string) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.check(() => false, `${what} is not supported by trellis yet`),
    ),
  );
}

/** A number (not necessarily whole) in [min, max]. */
export function num(min: number, max: number) {
  return v.pipe(
    v.number((i) => `expected a number, got ${i.received}`),
    v.check(
      (n) => Number.isFinite(n) && n >= min && n <= max,
      (i) => `expected a number from ${min} to ${max}, got ${String(i.input)}`,
    ),
  );
}

/** `{kind: constant, ms}` (ms default 0) or `{kind: jittered, minMs, maxMs}` (both required, min ≤ max). */
export function backoffSchema(): v.GenericSchema<unknown, BackoffConfig> {
  return v.pipe(
    v.looseObject({ kind: v.string("expected a backoff kind (constant or jittered)") }),
    v.variant(
      "kind",
      [
        v.strictObject({ kind: v.literal("constant"), ms: v.optional(duration(), 0) }),
        v.pipe(
          v.strictObject({ kind: v.literal("jittered"), minMs: duration(), maxMs: duration() }),
          v.check((b) => b.minMs <= b.maxMs, "minMs must not be above maxMs"),
        ),
      ],
      (i) => `expected a backoff kind (constant or jittered), got ${JSON.stringify(i.input)}`,
    ),
  ) as unknown as v.GenericSchema<unknown, BackoffConfig>;
}

/** Linkerd's retry budget: `minRetriesPerSec` 10, `percentCanRetry` 0.2 (0 to 1000), `ttlSecs` 10 (1 to 60). */
export function budgetSchema(): v.GenericSchema<unknown, RetryBudgetConfig> {
  return v.strictObject({
    minRetriesPerSec: v.optional(int(0, 1_000_000), 10),
    percentCanRetry: v.optional(num(0, 1000), 0.2),
    ttlSecs: v.optional(int(1, 60), 10),
  });
}

/** A prefix pattern: `/svc/web`, `*` for any one label, `{name}` captures. */
function prefixSchema(): v.GenericSchema<unknown, PathPattern> {
  return v.pipe(
    str(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return PathPattern.read(dataset.value);
      } catch (e) {
        if (!(e instanceof PathPatternError)) throw e;
        addIssue({ message: `invalid prefix: ${e.message}` });
        return NEVER;
      }
    }),
  );
}

function serviceEntries(p: PolicyPluginCategories) {
  return {
    totalTimeoutMs: v.optional(int(1)),
    retries: v.optional(
      v.strictObject({
        budget: v.optional(budgetSchema()),
        backoff: v.optional(backoffSchema()),
      }),
    ),
    responseClassifier: v.optional(p.responseClassifiers.schema()),
    // Linkerd's h2 key; for HTTP/1.1 Trellis uses it to retry requests with bodies (see the README).
    retryBufferSize: v.optional(
      v.strictObject({
        requestBytes: v.optional(int(0, 64 * 1024 * 1024), 65_535),
        responseBytes: v.optional(int(0, 64 * 1024 * 1024), 65_535),
      }),
    ),
  };
}

function clientEntries(p: PolicyPluginCategories) {
  return {
    loadBalancer: v.optional(p.loadBalancers.schema()),
    failureAccrual: v.optional(p.failureAccruals.schema()),
    hostConnectionPool: v.optional(
      v.strictObject({
        minSize: v.optional(int(0), 0),
        maxSize: v.optional(int(1)),
        idleTimeMs: v.optional(duration()),
        maxWaiters: v.optional(int(0)),
      }),
    ),
    requestAttemptTimeoutMs: v.optional(int(1)),
    requeueBudget: v.optional(budgetSchema()),
    failFast: v.optional(
      v.pipe(
        bool(),
        v.check((b) => !b, "failFast: true is not supported by trellis yet (failure accrual does this job)"),
      ),
    ),
    clientSession: v.optional(
      v.strictObject({
        idleTimeMs: v.optional(duration()),
        lifeTimeMs: v.optional(duration()),
      }),
    ),
    tls: notYet("client.tls"),
    socketOptions: notYet("client.socketOptions"),
    forwardClientCert: notYet("client.forwardClientCert"),
    requestAuthorizers: notYet("client.requestAuthorizers"),
  };
}

type Entries = v.ObjectEntries;
type Params<E extends Entries> = v.InferOutput<v.StrictObjectSchema<E, undefined>>;

/** A per-prefix config: the prefix it applies to and the keys it sets. */
export interface PrefixConfig<P> {
  readonly prefix: PathPattern;
  readonly params: P;
}

const ROOT = PathPattern.read("/");

/**
 * `kind: io.l5d.global` (the default when `kind` is left out): the keys apply everywhere. `kind: io.l5d.static`:
 * a list of `configs`, each with a `prefix` and keys; every config whose prefix matches applies, later keys
 * override earlier ones. Either way the result is a list of prefix configs.
 */
function policyBlock<E extends Entries>(
  what: string,
  entries: E,
): v.GenericSchema<unknown, PrefixConfig<Params<E>>[]> {
  const global = v.pipe(
    v.strictObject({ kind: v.optional(v.literal("io.l5d.global")), ...entries }),
    v.transform(({ kind: _kind, ...params }) => [{ prefix: ROOT, params: params as Params<E> }]),
  );
  const stat = v.pipe(
    v.strictObject({
      kind: v.literal("io.l5d.static"),
      configs: v.array(
        v.pipe(
          v.strictObject({ prefix: prefixSchema(), ...entries }),
          v.transform(({ prefix, ...params }) => ({ prefix, params: params as Params<E> })),
        ),
        "expected a list of configs, each with a prefix",
      ),
    }),
    v.transform((b) => b.configs),
  );
  return v.pipe(
    v.looseObject({}, `expected a ${what} config (a mapping)`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const kind = (dataset.value as { kind?: unknown }).kind;
      if (kind !== undefined && kind !== "io.l5d.global" && kind !== "io.l5d.static") {
        addIssue({
          message: `unknown ${what} kind ${JSON.stringify(kind)} (known: io.l5d.global, io.l5d.static)`,
          path: [{ type: "object", origin: "value", input: dataset.value, key: "kind", value: kind }],
        });
      }
    }),
    v.lazy((input) => ((input as { kind?: unknown }).kind === "io.l5d.static" ? stat : global)),
  ) as unknown as v.GenericSchema<unknown, PrefixConfig<Params<E>>[]>;
}

export function serviceSchema(p: PolicyPluginCategories) {
  return policyBlock("service", serviceEntries(p));
}

export function clientSchema(p: PolicyPluginCategories) {
  return policyBlock("client", clientEntries(p));
}

export type ServiceParamsConfig = Params<ReturnType<typeof serviceEntries>>;
export type ClientParamsConfig = Params<ReturnType<typeof clientEntries>>;
export type { PluginConfig };
