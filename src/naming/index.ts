// The naming core's public surface: paths, dtabs, name trees, addresses, dynamic values, binding and delegation.

export { Activity, ActivityTimeoutError, State, type Timers, unrefTimers } from "./activity.ts";
export { Addr, type Address, type Meta, WEIGHT_META_KEY } from "./addr.ts";
export { bindTree, type Lookup, MAX_DEPTH, RecursionLimitError } from "./bind.ts";
export { delegateTreeToJson, drawDelegateTree, type Json, resolveAddrs } from "./delegate-json.ts";
export { DelegateTree, type DelegateWeighted } from "./delegate-tree.ts";
export { ANY, Dentry, Dtab, Prefix, type PrefixElem, showPathTree } from "./dtab.ts";
export {
  CONFIGURED_NAMER_PREFIX,
  ConfiguredNamersInterpreter,
  type Delegator,
  type MountedNamer,
  type NameInterpreter,
} from "./interpreter.ts";
export { BoundName, isBound, type Name, type Namer, nameEquals, showName } from "./name.ts";
export { NameTree, type Weighted } from "./name-tree.ts";
export { bytesToUtf8, isShowable, Path, utf8ToBytes } from "./path.ts";
export { MAX_NESTING, NameSyntaxError, readDentry, readDtab, readNameTree, readPath } from "./syntax.ts";
export type { NameTreeTransformer } from "./transformer.ts";
export { Cell, type Closable, type Observer, Var } from "./var.ts";
