// The building blocks of config schemas: integers, ports, durations, paths and dtabs with Linkerd's meaning.

import * as v from "valibot";
import { type Dtab, NameSyntaxError, type Path, readDtab, readPath } from "../naming/index.ts";

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** An integer in [min, max]. */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return v.pipe(
    v.number((i) => `expected an integer, got ${i.received}`),
    v.check(
      (n) => Number.isInteger(n),
      (i) => `expected an integer, got ${show(i.input)}`,
    ),
    v.check(
      (n) => n >= min && n <= max,
      (i) => `expected an integer from ${min} to ${max}, got ${show(i.input)}`,
    ),
  );
}

export function port() {
  return int(0, 65535);
}

/** A number of milliseconds or seconds: a non-negative integer. */
export function duration() {
  return int(0);
}

export function bool() {
  return v.boolean((i) => `expected true or false, got ${i.received}`);
}

export function str() {
  return v.string((i) => `expected a string, got ${i.received}`);
}

export function nonEmptyStr() {
  return v.pipe(str(), v.minLength(1, "expected a non-empty string"));
}

/** An HTTP header name (a token). */
export function headerName() {
  return v.pipe(
    str(),
    v.check(
      (s) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s),
      (i) => `expected a header name, got ${show(i.input)}`,
    ),
  );
}

/** A regular expression, checked when the config is read rather than when first used. */
export function regex() {
  return v.pipe(
    str(),
    v.check(
      (s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      },
      (i) => `expected a regular expression, got ${show(i.input)}`,
    ),
  );
}

/** An IP address or host name to bind or connect to. */
export function host() {
  return v.pipe(
    str(),
    v.check(
      (s) => /^[A-Za-z0-9.:_-]+$/.test(s),
      (i) => `expected an IP address or host name, got ${show(i.input)}`,
    ),
  );
}

function parsed<T>(what: string, parse: (text: string) => T) {
  return v.pipe(
    str(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return parse(dataset.value);
      } catch (e) {
        if (!(e instanceof NameSyntaxError)) throw e;
        addIssue({ message: `invalid ${what}: ${e.message}` });
        return NEVER;
      }
    }),
  );
}

/** A path in shown form (`/svc`), parsed. */
export function path(): v.GenericSchema<unknown, Path> {
  return parsed("path", readPath);
}

/** Dtab text, parsed. */
export function dtab(): v.GenericSchema<unknown, Dtab> {
  return parsed("dtab", readDtab);
}

/** A path prefix of exactly one or more labels, as a namer's `prefix`; a leading `/` is optional as in Linkerd. */
export function prefixPath(): v.GenericSchema<unknown, Path> {
  return parsed("prefix", (text) => readPath(text.startsWith("/") ? text : `/${text}`));
}

/** An optional key with a default, so the parsed config always has it. */
export function withDefault<S extends v.GenericSchema, D extends v.InferOutput<S>>(schema: S, value: D) {
  return v.optional(schema, value);
}
