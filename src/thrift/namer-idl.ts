// namerd's thrift IDL (`namer.thrift`, service `Namer`): its structs, unions, exceptions and methods as codecs.

import {
  binary,
  type Codec,
  double,
  field,
  i32,
  list,
  map,
  optional,
  set,
  string,
  struct,
  union,
} from "./codec.ts";
import type { MethodSpec } from "./message.ts";

const emptyBytes = () => new Uint8Array(0);
const emptyPath = (): readonly Uint8Array[] => [];
const emptyAddresses = (): readonly TransportAddress[] => [];
const emptyString = () => "";

/** `typedef list<binary> Path`: the labels of a path, as bytes. */
export const TPath: Codec<readonly Uint8Array[]> = list(binary);
/** `struct Void {}` */
export const TVoid = struct("Void", {});
const voidField = (id: number) => field(id, TVoid, () => ({}));

export const NameRef = struct("NameRef", {
  stamp: field(1, binary, emptyBytes),
  name: field(2, TPath, emptyPath),
  ns: field(3, string, emptyString),
});
export const BindReq = struct("BindReq", {
  dtab: field(1, string, emptyString),
  name: field(2, NameRef),
  clientId: field(3, TPath, emptyPath),
});

export const BoundName = struct("BoundName", {
  id: field(1, TPath, emptyPath),
  residual: field(2, TPath, emptyPath),
});

export const WeightedNodeId = struct("WeightedNodeId", {
  weight: field(1, double, () => 0),
  id: field(2, i32, () => 0),
});

export const BoundNode = union("BoundNode", {
  neg: voidField(1),
  empty: voidField(2),
  fail: voidField(3),
  leaf: field(4, BoundName),
  alt: field(5, list(i32)),
  weighted: field(6, list(WeightedNodeId)),
});
export const BoundTree = struct("BoundTree", {
  root: field(1, BoundNode),
  nodes: field(2, map(i32, BoundNode), () => new Map()),
});

export const Bound = struct("Bound", {
  stamp: field(1, binary, emptyBytes),
  tree: field(2, BoundTree),
  ns: field(3, string, emptyString),
});

export const BindFailure = struct("BindFailure", {
  reason: field(1, string, emptyString),
  retryInSeconds: field(2, i32, () => 0),
  name: field(3, NameRef),
  ns: field(4, string, emptyString),
});

export const AddrReq = struct("AddrReq", {
  name: field(1, NameRef),
  clientId: field(2, TPath, emptyPath),
});

export const AddrMeta = struct("AddrMeta", {
  authority: optional(1, string),
  nodeName: optional(2, string),
  endpoint_addr_weight: optional(3, double),
});

export const TransportAddress = struct("TransportAddress", {
  ip: field(1, binary),
  port: field(2, i32),
  meta: optional(3, AddrMeta),
});

export const BoundAddr = struct("BoundAddr", {
  addresses: field(1, set(TransportAddress), emptyAddresses),
  meta: optional(2, AddrMeta),
});

export const AddrVal = union("AddrVal", {
  bound: field(1, BoundAddr),
  neg: voidField(2),
});

export const Addr = struct("Addr", {
  stamp: field(1, binary, emptyBytes),
  value: field(2, AddrVal),
});

export const AddrFailure = struct("AddrFailure", {
  reason: field(1, string, emptyString),
  retryInSeconds: field(2, i32, () => 0),
  name: field(3, NameRef),
});

export const Transformation = struct("Transformation", {
  value: field(1, BoundName),
  tree: field(2, i32),
});

export const DelegateContents = union("DelegateContents", {
  error: field(1, string),
  empty: voidField(2),
  fail: voidField(3),
  neg: voidField(4),
  delegate: field(5, i32),
  boundLeaf: field(6, BoundName),
  pathLeaf: field(7, TPath),
  alt: field(8, list(i32)),
  weighted: field(9, list(WeightedNodeId)),
  transformation: field(10, Transformation),
});

export const DelegateNode = struct("DelegateNode", {
  path: field(1, TPath, emptyPath),
  dentry: field(2, string, emptyString),
  contents: field(3, DelegateContents),
});

export const DelegateTree = struct("DelegateTree", {
  root: field(1, DelegateNode),
  nodes: field(2, map(i32, DelegateNode), () => new Map()),
});

export const Delegation = struct("Delegation", {
  stamp: field(1, binary, emptyBytes),
  tree: field(2, DelegateTree),
  ns: field(3, string, emptyString),
});

export const DelegateReq = struct("DelegateReq", {
  dtab: field(1, string, emptyString),
  delegation: field(2, Delegation),
  clientId: field(3, TPath, emptyPath),
});

export const DelegationFailure = struct("DelegationFailure", { reason: field(1, string, emptyString) });

export const DtabReq = struct("DtabReq", {
  stamp: field(1, binary, emptyBytes),
  ns: field(2, string, emptyString),
  clientId: field(3, TPath, emptyPath),
});

export const DtabRef = struct("DtabRef", {
  stamp: field(1, binary, emptyBytes),
  dtab: field(2, string, emptyString),
});

export const DtabFailure = struct("DtabFailure", { reason: field(1, string, emptyString) });

/** `service Namer`: each method's args (`req`, field 1) and result (`success` 0, its exception 1). */
export const NamerMethods = {
  bind: method("bind", BindReq, Bound, BindFailure),
  addr: method("addr", AddrReq, Addr, AddrFailure),
  delegate: method("delegate", DelegateReq, Delegation, DelegationFailure),
  dtab: method("dtab", DtabReq, DtabRef, DtabFailure),
};

function method<Req, Rep, Exc>(name: string, req: Codec<Req>, rep: Codec<Rep>, exc: Codec<Exc>) {
  const spec: MethodSpec<{ readonly req: Req }, { readonly success?: Rep; readonly failure?: Exc }> = {
    name,
    args: struct(`${name}_args`, { req: field(1, req) }),
    result: struct(`${name}_result`, { success: optional(0, rep), failure: optional(1, exc) }),
  };
  return spec;
}

export type Value<C> = C extends Codec<infer T> ? T : never;

export type TPath = Value<typeof TPath>;
export type NameRef = Value<typeof NameRef>;
export type BindReq = Value<typeof BindReq>;
export type BoundName = Value<typeof BoundName>;
export type WeightedNodeId = Value<typeof WeightedNodeId>;
export type BoundNode = Value<typeof BoundNode>;
export type BoundTree = Value<typeof BoundTree>;
export type Bound = Value<typeof Bound>;
export type BindFailure = Value<typeof BindFailure>;
export type AddrReq = Value<typeof AddrReq>;
export type AddrMeta = Value<typeof AddrMeta>;
export type TransportAddress = Value<typeof TransportAddress>;
export type BoundAddr = Value<typeof BoundAddr>;
export type AddrVal = Value<typeof AddrVal>;
export type Addr = Value<typeof Addr>;
export type AddrFailure = Value<typeof AddrFailure>;
export type DelegateContents = Value<typeof DelegateContents>;
export type DelegateNode = Value<typeof DelegateNode>;
export type DelegateTree = Value<typeof DelegateTree>;
export type Delegation = Value<typeof Delegation>;
export type DelegateReq = Value<typeof DelegateReq>;
export type DelegationFailure = Value<typeof DelegationFailure>;
export type DtabReq = Value<typeof DtabReq>;
export type DtabRef = Value<typeof DtabRef>;
export type DtabFailure = Value<typeof DtabFailure>;
