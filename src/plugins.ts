// The explicit list of built-in plugin kinds, by category, each with its config keys and how it is built.

import * as v from "valibot";
import { PluginCategory, pluginKind } from "./config/registry.ts";
import {
  bool,
  headerName,
  host,
  int,
  nonEmptyStr,
  path,
  port,
  prefixPath,
  str,
} from "./config/schema-kit.ts";
import { FsNamer } from "./namers/fs/fs-namer.ts";
import type { HostLookup } from "./namers/inet/resolver.ts";
import { ServersetsNamer } from "./namers/serversets/serversets-namer.ts";
import type {
  Activity,
  BoundName,
  Delegator,
  MountedNamer,
  NameInterpreter,
  Namer,
  NameTree,
  NameTreeTransformer,
  Path,
} from "./naming/index.ts";
import { CONFIGURED_NAMER_PREFIX, ConfiguredNamersInterpreter } from "./naming/index.ts";
import {
  headerPathKind,
  headerTokenKind,
  type Identifier,
  methodAndHostKind,
  pathKind,
  staticKind,
} from "./router/identifiers/index.ts";
import {
  constTransformer,
  type LocalIps,
  localhostTransformer,
  portTransformer,
  replaceTransformer,
  specificHostTransformer,
  transformedInterpreter,
  transformedNamer,
} from "./transformers/index.ts";

export interface IdentifierContext {
  readonly dstPrefix: Path;
}

export const identifierKinds = new PluginCategory<Identifier, IdentifierContext>("identifier", [
  pluginKind({
    kind: headerTokenKind.kind,
    entries: { header: v.optional(headerName(), "Host") },
    make: (c, ctx: IdentifierContext) => headerTokenKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: methodAndHostKind.kind,
    entries: { httpUriInDst: v.optional(bool(), false) },
    make: (c, ctx: IdentifierContext) => methodAndHostKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: pathKind.kind,
    entries: { segments: v.optional(int(1, 1000), 1), consume: v.optional(bool(), false) },
    make: (c, ctx: IdentifierContext) => pathKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: headerPathKind.kind,
    entries: { header: v.optional(headerName(), "l5d-name") },
    make: (c, ctx: IdentifierContext) => headerPathKind.make(c, ctx.dstPrefix),
  }),
  pluginKind({
    kind: staticKind.kind,
    entries: { path: path() },
    make: (c, ctx: IdentifierContext) => staticKind.make(c, ctx.dstPrefix),
  }),
]);

export interface TransformerContext {
  /** Binds a path with an empty dtab through the global namers (for `io.l5d.replace` and `io.l5d.const`). */
  readonly bind: (path: Path) => Activity<NameTree<BoundName>>;
  readonly lookup?: HostLookup;
  readonly localIps?: LocalIps;
}

const transformerPrefix = { prefix: v.optional(prefixPath()) };

export const transformerKinds = new PluginCategory<NameTreeTransformer, TransformerContext>("transformer", [
  pluginKind({
    kind: "io.l5d.port",
    entries: { port: port(), ...transformerPrefix },
    make: (c, _ctx: TransformerContext) => portTransformer(c),
  }),
  pluginKind({
    kind: "io.l5d.localhost",
    entries: { ...transformerPrefix },
    make: (c, ctx: TransformerContext) => localhostTransformer(c, { localIps: ctx.localIps }),
  }),
  pluginKind({
    kind: "io.l5d.specificHost",
    entries: { host: host(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => specificHostTransformer(c, { lookup: ctx.lookup }),
  }),
  pluginKind({
    kind: "io.l5d.replace",
    entries: { path: path(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => replaceTransformer(c, { bind: ctx.bind }),
  }),
  pluginKind({
    kind: "io.l5d.const",
    entries: { path: path(), ...transformerPrefix },
    make: (c, ctx: TransformerContext) => constTransformer(c, { bind: ctx.bind }),
  }),
]);

function transformersOf(
  configs: readonly { kind: string }[],
  ctx: TransformerContext,
): NameTreeTransformer[] {
  return configs.map((c) => transformerKinds.make(c, ctx));
}

/** A namer kind builds a namer (mounted at `/#/<prefix>`) from its config. */
export interface NamerContext {
  readonly lookup?: HostLookup;
  readonly transformers: TransformerContext;
}

/** A configured namer, where it is mounted, and what the admin server can show of it. */
export interface MountedConfiguredNamer {
  readonly prefix: Path;
  readonly namer: Namer;
  /** The configured prefix without `/#`, as in `/namer_state/io.l5d.fs.json`. */
  readonly label: string;
  /** Names it knows of (enumerating namers), for `/bound-names.json`. */
  boundNames?(): Path[];
  /** Its internal state, for `/namer_state/<label>.json`. */
  state?(): unknown;
  close?(): void | Promise<void>;
}

const namerCommon = {
  transformers: v.optional(v.array(transformerKinds.schema()), []),
};

export const namerKinds = new PluginCategory<MountedConfiguredNamer, NamerContext>("namer", [
  pluginKind({
    kind: "io.l5d.fs",
    entries: { rootDir: nonEmptyStr(), prefix: v.optional(prefixPath(), "/io.l5d.fs"), ...namerCommon },
    make: (c, ctx: NamerContext) => {
      const prefix = CONFIGURED_NAMER_PREFIX.concat(c.prefix);
      const fs = new FsNamer(c.rootDir, prefix, { lookup: ctx.lookup });
      return {
        prefix,
        label: c.prefix.show.slice(1),
        namer: transformedNamer(fs, transformersOf(c.transformers, ctx.transformers)),
        boundNames: () => fs.boundNames(),
        state: () => fs.state(),
        close: () => fs.close(),
      };
    },
  }),
  pluginKind({
    kind: "io.l5d.serversets",
    entries: {
      zkAddrs: v.pipe(
        v.array(v.strictObject({ host: host(), port: v.optional(int(1, 65535), 2181) })),
        v.minLength(1, "expected at least one ZooKeeper address"),
      ),
      prefix: v.optional(prefixPath(), "/io.l5d.serversets"),
      ...namerCommon,
    },
    make: (c, ctx: NamerContext) => {
      const prefix = CONFIGURED_NAMER_PREFIX.concat(c.prefix);
      const serversets = new ServersetsNamer(c.zkAddrs, prefix, { lookup: ctx.lookup });
      return {
        prefix,
        label: c.prefix.show.slice(1),
        namer: transformedNamer(serversets, transformersOf(c.transformers, ctx.transformers)),
        state: () => serversets.state(),
        close: () => serversets.close(),
      };
    },
  }),
]);

export interface InterpreterContext {
  readonly namers: readonly MountedNamer[];
  readonly global: Namer;
  readonly transformers: TransformerContext;
}

export type Interpreter = NameInterpreter & Delegator;

export const interpreterKinds = new PluginCategory<Interpreter, InterpreterContext>("interpreter", [
  pluginKind({
    kind: "default",
    entries: { transformers: v.optional(v.array(transformerKinds.schema()), []) },
    make: (c, ctx: InterpreterContext) =>
      transformedInterpreter(
        new ConfiguredNamersInterpreter(ctx.namers, ctx.global),
        transformersOf(c.transformers, ctx.transformers),
      ),
  }),
]);

/** A page rendered piece by piece: its status, content type and body chunks. */
export interface StreamedPage {
  readonly status: number;
  readonly contentType: string;
  readonly chunks: Iterable<string>;
}

/** What a telemeter adds to the admin server: pages at paths. */
export interface Telemeter {
  readonly adminPages: ReadonlyMap<string, () => StreamedPage>;
}

export interface TelemeterContext {
  readonly prometheus: (prefix: string | undefined) => StreamedPage;
}

export const telemeterKinds = new PluginCategory<Telemeter, TelemeterContext>("telemeter", [
  pluginKind({
    kind: "io.l5d.prometheus",
    entries: {
      path: v.optional(
        v.pipe(
          str(),
          v.check((p) => p.startsWith("/"), "expected a path starting with /"),
        ),
        "/admin/metrics/prometheus",
      ),
      prefix: v.optional(str()),
    },
    make: (c, ctx: TelemeterContext) => ({
      adminPages: new Map([[c.path, () => ctx.prometheus(c.prefix)]]),
    }),
  }),
]);

/** Every category, for the config schemas. */
export const linkerPlugins = {
  identifiers: identifierKinds,
  namers: namerKinds,
  transformers: transformerKinds,
  interpreters: interpreterKinds,
  telemeters: telemeterKinds,
};
