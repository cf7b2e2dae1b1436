// The HTTP identifier kinds, each with its name and factory, for the plugin registry; and the identifiers themselves.

import type { Path } from "../../naming/index.ts";
import { HEADER_PATH_KIND, HeaderPathIdentifier, type HeaderPathOptions } from "./header-path-identifier.ts";
import {
  HEADER_TOKEN_KIND,
  HeaderTokenIdentifier,
  type HeaderTokenOptions,
} from "./header-token-identifier.ts";
import type { Identifier } from "./identifier.ts";
import {
  METHOD_AND_HOST_KIND,
  MethodAndHostIdentifier,
  type MethodAndHostOptions,
} from "./method-and-host-identifier.ts";
import { PATH_KIND, PathIdentifier, type PathIdentifierOptions } from "./path-identifier.ts";
import { STATIC_KIND, StaticIdentifier, type StaticIdentifierOptions } from "./static-identifier.ts";

export { HEADER_PATH_KIND, HeaderPathIdentifier, type HeaderPathOptions } from "./header-path-identifier.ts";
export {
  HEADER_TOKEN_KIND,
  HeaderTokenIdentifier,
  type HeaderTokenOptions,
} from "./header-token-identifier.ts";
export { firstOf, type Identification, type Identifier } from "./identifier.ts";
export {
  METHOD_AND_HOST_KIND,
  MethodAndHostIdentifier,
  type MethodAndHostOptions,
} from "./method-and-host-identifier.ts";
export { PATH_KIND, PathIdentifier, type PathIdentifierOptions } from "./path-identifier.ts";
export { STATIC_KIND, StaticIdentifier, type StaticIdentifierOptions } from "./static-identifier.ts";

/** One identifier kind: its config name and how to build it from its options and the router's `dstPrefix`. */
export interface IdentifierKind<Options> {
  readonly kind: string;
  make(options: Options, dstPrefix: Path): Identifier;
}

export const headerTokenKind: IdentifierKind<HeaderTokenOptions> = {
  kind: HEADER_TOKEN_KIND,
  make: (options, dstPrefix) => new HeaderTokenIdentifier(options, dstPrefix),
};

export const methodAndHostKind: IdentifierKind<MethodAndHostOptions> = {
  kind: METHOD_AND_HOST_KIND,
  make: (options, dstPrefix) => new MethodAndHostIdentifier(options, dstPrefix),
};

export const pathKind: IdentifierKind<PathIdentifierOptions> = {
  kind: PATH_KIND,
  make: (options, dstPrefix) => new PathIdentifier(options, dstPrefix),
};

export const headerPathKind: IdentifierKind<HeaderPathOptions> = {
  kind: HEADER_PATH_KIND,
  make: (options, dstPrefix) => new HeaderPathIdentifier(options, dstPrefix),
};

export const staticKind: IdentifierKind<StaticIdentifierOptions> = {
  kind: STATIC_KIND,
  make: (options, dstPrefix) => new StaticIdentifier(options, dstPrefix),
};

/** Every HTTP identifier kind, the default (`io.l5d.header.token`) first. */
export const HTTP_IDENTIFIER_KINDS = Object.freeze([
  headerTokenKind,
  methodAndHostKind,
  pathKind,
  headerPathKind,
  staticKind,
] as const);

export const DEFAULT_IDENTIFIER_KIND = HEADER_TOKEN_KIND;
