// Transformer ids: the `/%/<prefix>` a transformer puts before each bound id it rewrites (`/%/io.l5d.port/4141/#/...`).

import { Path } from "../naming/index.ts";

/** The first label of every transformer-prefixed id: Linkerd's `Paths.TransformerPrefix`, `/%`. */
export const TRANSFORMER_PREFIX: Path = Path.of("%");

const CONFIGURED_NAMER_LABEL = "#";
const GLOBAL_NAMER_LABEL = "$";

/**
 * The prefix a transformer puts on ids: `/%` followed by the configured `prefix` when one is set, else by the
 * kind's default (for example `/io.l5d.port/4141`), as Linkerd's `TransformerConfig.prefix`.
 */
export function transformerPrefix(configured: Path | undefined, fallback: Path): Path {
  return TRANSFORMER_PREFIX.concat(configured ?? fallback);
}

/**
 * The id a transformer-prefixed id stands for: from a leading `/%` on, every label up to the first `#` or `$` is
 * dropped (`/%/io.l5d.port/4141/#/io.l5d.fs/web` gives `/#/io.l5d.fs/web`), as namerd does before it looks
 * addresses up. An id without the prefix is returned as it is.
 */
export function stripTransformerPrefix(id: Path): Path {
  if (!id.startsWith(TRANSFORMER_PREFIX)) return id;
  const at = id.elems.findIndex((l) => l === CONFIGURED_NAMER_LABEL || l === GLOBAL_NAMER_LABEL);
  return at < 0 ? Path.empty : id.drop(at);
}
