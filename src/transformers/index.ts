// The transformers' public surface: each kind's name and factory, the shared helpers, and applying a list in order.

export { addressFilterTransformer, filterAddr } from "./address-filter.ts";
export {
  applyDelegationTransformers,
  applyTransformers,
  transformedInterpreter,
  transformedNamer,
} from "./apply.ts";
export { BoundNameTransformer } from "./bound-name-transformer.ts";
export { CONST_KIND, type ConstDeps, type ConstOptions, constTransformer } from "./const.ts";
export { type DelegateEnd, type DelegateLeaf, rewriteEnds, rewriteLeaves } from "./delegate-leaves.ts";
export { type IpSet, ipIn, ipSet, loadIpSetOnce } from "./ip-set.ts";
export { canonicalIp } from "./ip-text.ts";
export {
  type InterfaceAddress,
  type LocalIps,
  type SystemLocalIpsOptions,
  systemLocalIps,
} from "./local-ips.ts";
export {
  LOCALHOST_KIND,
  type LocalhostDeps,
  type LocalhostOptions,
  localhostTransformer,
} from "./localhost.ts";
export { PORT_KIND, type PortOptions, portTransformer, withPort } from "./port.ts";
export {
  REPLACE_KIND,
  type ReplaceDeps,
  type ReplaceOptions,
  replaceLeaves,
  replaceTransformer,
} from "./replace.ts";
export { type PathBinder, renamedBinding } from "./replacement.ts";
export {
  SPECIFIC_HOST_KIND,
  type SpecificHostDeps,
  type SpecificHostOptions,
  specificHostTransformer,
} from "./specific-host.ts";
export { stripTransformerPrefix, TRANSFORMER_PREFIX, transformerPrefix } from "./transformer-prefix.ts";
