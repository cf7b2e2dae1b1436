// The proxy's interpreter kinds beyond `default`: namerd over thrift, namerd over HTTP, and a dtab from a file.

import {
  ConfiguredNamersInterpreter,
  type Delegator,
  Dtab,
  type MountedNamer,
  type NameInterpreter,
  type Namer,
  type NameTreeTransformer,
  type Path,
} from "../naming/index.ts";
import { transformedInterpreter } from "../transformers/index.ts";
import { FS_INTERPRETER_KIND, FsDtabInterpreter } from "./fs-dtab-interpreter.ts";
import { NamerdDst } from "./namerd-dst.ts";
import { NAMERD_HTTP_KIND, NamerdHttpInterpreter } from "./namerd-http-interpreter.ts";
import { NAMERD_THRIFT_KIND, NamerdThriftInterpreter } from "./namerd-thrift-interpreter.ts";
import { DEFAULT_RETRY, type RetryConfig } from "./retry.ts";

export { DEFAULT_RETRY, FS_INTERPRETER_KIND, NAMERD_HTTP_KIND, NAMERD_THRIFT_KIND, type RetryConfig };

/** What the admin server shows of an interpreter: `/<router>/interpreter_state/<kind>/<key>.json`. */
export interface InterpreterAdmin {
  readonly kind: string;
  readonly key: string;
  state(): unknown;
}

/** An interpreter as a router uses it, with what it holds open (namerd connections, file watches). */
export type ManagedInterpreter = NameInterpreter &
  Delegator & {
    readonly admin?: InterpreterAdmin;
    close?(): void;
  };

/** The proxy's own namers, for binding `dst` and for the file interpreter. */
export interface InterpreterDeps {
  readonly namers: readonly MountedNamer[];
  readonly global: Namer;
  readonly transformers: readonly NameTreeTransformer[];
}

function managed(
  inner: NameInterpreter & Delegator & { state(): unknown; close(): void },
  transformers: readonly NameTreeTransformer[],
  admin: { kind: string; key: string },
): ManagedInterpreter {
  const t = transformedInterpreter(inner, transformers);
  return {
    bind: (dtab, path) => t.bind(dtab, path),
    delegate: (dtab, path) => t.delegate(dtab, path),
    admin: { ...admin, state: () => inner.state() },
    close: () => inner.close(),
  };
}

function dstOf(dst: Path, deps: InterpreterDeps): NamerdDst {
  const plain = new ConfiguredNamersInterpreter(deps.namers, deps.global);
  return new NamerdDst(dst, (p) => plain.bind(Dtab.empty, p));
}

export interface NamerdThriftConfig {
  readonly dst: Path;
  readonly namespace: string;
  readonly retry: RetryConfig;
  readonly failureThreshold: { readonly minPeriodMs: number; readonly closeTimeoutMs: number };
}

export function namerdThriftInterpreter(c: NamerdThriftConfig, deps: InterpreterDeps): ManagedInterpreter {
  const inner = new NamerdThriftInterpreter({
    dst: dstOf(c.dst, deps),
    namespace: c.namespace,
    retry: c.retry,
    failureThreshold: c.failureThreshold,
  });
  return managed(inner, deps.transformers, { kind: NAMERD_THRIFT_KIND, key: c.namespace });
}

export interface NamerdHttpConfig {
  readonly dst: Path;
  readonly namespace: string;
  readonly retry: RetryConfig;
}

export function namerdHttpInterpreter(c: NamerdHttpConfig, deps: InterpreterDeps): ManagedInterpreter {
  const inner = new NamerdHttpInterpreter({
    dst: dstOf(c.dst, deps),
    namespace: c.namespace,
    retry: c.retry,
  });
  return managed(inner, deps.transformers, { kind: NAMERD_HTTP_KIND, key: c.namespace });
}

export function fsDtabInterpreter(
  c: { readonly dtabFile: string },
  deps: InterpreterDeps,
): ManagedInterpreter {
  const inner = new FsDtabInterpreter(c.dtabFile, new ConfiguredNamersInterpreter(deps.namers, deps.global));
  const key = inner.path.split("/").pop() ?? "dtab";
  return managed(inner, deps.transformers, { kind: FS_INTERPRETER_KIND, key });
}
