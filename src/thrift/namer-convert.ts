// Between the naming core's values and namer.thrift's: paths, bound trees, delegation trees and addresses.

import { isIPv6 } from "node:net";
import {
  Addr,
  type Address,
  type BoundName,
  DelegateTree,
  Dentry,
  type Meta,
  NameTree,
  Path,
  readDentry,
  WEIGHT_META_KEY,
} from "../naming/index.ts";
import { canonicalIp } from "../transformers/ip-text.ts";
import type * as T from "./namer-idl.ts";

/** A thrift path could not become a path (an empty label, a node id that points nowhere, ...). */
export class NamerConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NamerConversionError";
  }
}

export function toTPath(path: Path): T.TPath {
  return path.elems.map((label) => new Uint8Array(Buffer.from(label, "latin1")));
}

export function fromTPath(tpath: T.TPath): Path {
  const labels = tpath.map((bytes) => Buffer.from(bytes).toString("latin1"));
  if (labels.some((l) => l.length === 0)) throw new NamerConversionError("a path label cannot be empty");
  return Path.unsafeOf(labels);
}

/** A bound name as namerd sends it: its id and residual path; the address is watched separately. */
export interface RemoteBoundName {
  readonly id: Path;
  readonly residual: Path;
}

/**
 * A bound tree in namerd's node-table form: the root, and every other node under an id (assigned depth
 * first, children before their later siblings, as namerd numbers them).
 */
export function toBoundTree(tree: NameTree<BoundName>): T.BoundTree {
  const nodes = new Map<number, T.BoundNode>();
  let nextId = 0;
  const mk = (t: NameTree<BoundName>): T.BoundNode => {
    switch (t.kind) {
      case "neg":
        return { kind: "neg", value: {} };
      case "empty":
        return { kind: "empty", value: {} };
      case "fail":
        return { kind: "fail", value: {} };
      case "leaf":
        return { kind: "leaf", value: { id: toTPath(t.value.id), residual: toTPath(t.value.residual) } };
      case "alt": {
        const ids: number[] = [];
        for (const child of t.trees) {
          const id = nextId++;
          ids.push(id);
          nodes.set(id, mk(child));
        }
        return { kind: "alt", value: ids };
      }
      case "union": {
        const ws: T.WeightedNodeId[] = [];
        for (const w of t.trees) {
          const id = nextId++;
          ws.push({ weight: w.weight, id });
          nodes.set(id, mk(w.tree));
        }
        return { kind: "weighted", value: ws };
      }
    }
  };
  const root = mk(tree);
  return { root, nodes };
}

/** The deepest a received tree may nest (a node table could otherwise describe a cycle). */
const MAX_TREE_DEPTH = 256;

export function fromBoundTree(tree: T.BoundTree): NameTree<RemoteBoundName> {
  const node = (id: number): T.BoundNode => {
    const n = tree.nodes.get(id);
    if (n === undefined) throw new NamerConversionError(`unknown node id: ${id}`);
    return n;
  };
  const mk = (n: T.BoundNode, depth: number): NameTree<RemoteBoundName> => {
    if (depth > MAX_TREE_DEPTH) throw new NamerConversionError("bound tree nested too deeply");
    switch (n.kind) {
      case "neg":
        return NameTree.neg;
      case "empty":
        return NameTree.empty;
      case "fail":
        return NameTree.fail;
      case "leaf":
        return NameTree.leaf({ id: fromTPath(n.value.id), residual: fromTPath(n.value.residual) });
      case "alt":
        return NameTree.alt(...n.value.map((id) => mk(node(id), depth + 1)));
      case "weighted":
        return NameTree.union(...n.value.map((w) => NameTree.weighted(w.weight, mk(node(w.id), depth + 1))));
    }
  };
  return mk(tree.root, 0);
}

function dentryText(d: Dentry): string {
  return d.show;
}

/** A delegation tree in namerd's node-table form. */
export function toDelegateTree(tree: DelegateTree<BoundName>): T.DelegateTree {
  const nodes = new Map<number, T.DelegateNode>();
  let nextId = 0;
  const child = (t: DelegateTree<BoundName>): number => {
    const id = nextId++;
    nodes.set(id, mk(t));
    return id;
  };
  const boundName = (b: BoundName): T.BoundName => ({ id: toTPath(b.id), residual: toTPath(b.residual) });
  const mk = (t: DelegateTree<BoundName>): T.DelegateNode => {
    const head = { path: toTPath(t.path), dentry: dentryText(t.dentry) };
    switch (t.kind) {
      case "exception":
        return { ...head, contents: { kind: "error", value: t.message } };
      case "empty":
        return { ...head, contents: { kind: "empty", value: {} } };
      case "fail":
        return { ...head, contents: { kind: "fail", value: {} } };
      case "neg":
        return { ...head, contents: { kind: "neg", value: {} } };
      case "delegate":
        return { ...head, contents: { kind: "delegate", value: child(t.tree) } };
      case "leaf":
        return { ...head, contents: { kind: "boundLeaf", value: boundName(t.value) } };
      case "alt":
        return { ...head, contents: { kind: "alt", value: t.trees.map(child) } };
      case "union":
        return {
          ...head,
          contents: {
            kind: "weighted",
            value: t.trees.map((w) => ({ weight: w.weight, id: child(w.tree) })),
          },
        };
      case "transformation":
        return {
          ...head,
          // namerd's thrift form has no field for the transformer's name; it travels in the dentry slot.
          dentry: t.name,
          contents: { kind: "transformation", value: { value: boundName(t.value), tree: child(t.tree) } },
        };
    }
  };
  const root = mk(tree);
  return { root, nodes };
}

/** A one-node delegation tree asking about `path` (what a client sends in DelegateReq). */
export function delegationRequestTree(path: Path): T.DelegateTree {
  return {
    root: {
      path: toTPath(path),
      dentry: dentryText(Dentry.nop),
      contents: { kind: "pathLeaf", value: toTPath(path) },
    },
    nodes: new Map(),
  };
}

/** The path a DelegateReq's tree asks about: its root must be a path leaf. */
export function delegationRequestPath(tree: T.DelegateTree): Path {
  const c = tree.root.contents;
  if (c.kind !== "pathLeaf") throw new NamerConversionError("a delegation request must be a path leaf");
  return fromTPath(c.value);
}

/** A received delegation tree; each bound leaf's name is made by `bound` (which attaches an address). */
export function fromDelegateTree<B>(tree: T.DelegateTree, bound: (b: RemoteBoundName) => B): DelegateTree<B> {
  const node = (id: number): T.DelegateNode => {
    const n = tree.nodes.get(id);
    if (n === undefined) throw new NamerConversionError(`unknown node id: ${id}`);
    return n;
  };
  const dentryOf = (text: string): Dentry => {
    if (text === "") return Dentry.nop;
    try {
      return readDentry(text);
    } catch {
      return Dentry.nop;
    }
  };
  const boundName = (b: T.BoundName) => bound({ id: fromTPath(b.id), residual: fromTPath(b.residual) });
  const mk = (n: T.DelegateNode, depth: number): DelegateTree<B> => {
    if (depth > MAX_TREE_DEPTH) throw new NamerConversionError("delegation tree nested too deeply");
    const path = fromTPath(n.path);
    const dentry = dentryOf(n.dentry);
    const c = n.contents;
    switch (c.kind) {
      case "error":
        return { kind: "exception", path, dentry, message: c.value };
      case "empty":
        return { kind: "empty", path, dentry };
      case "fail":
        return { kind: "fail", path, dentry };
      case "neg":
        return { kind: "neg", path, dentry };
      case "delegate":
        return { kind: "delegate", path, dentry, tree: mk(node(c.value), depth + 1) };
      case "boundLeaf":
        return { kind: "leaf", path, dentry, value: boundName(c.value) };
      case "pathLeaf":
        throw new NamerConversionError("delegation cannot accept path names");
      case "alt":
        return { kind: "alt", path, dentry, trees: c.value.map((id) => mk(node(id), depth + 1)) };
      case "weighted":
        return {
          kind: "union",
          path,
          dentry,
          trees: c.value.map((w) => ({ weight: w.weight, tree: mk(node(w.id), depth + 1) })),
        };
      case "transformation":
        return {
          kind: "transformation",
          path,
          dentry: Dentry.nop,
          name: n.dentry,
          value: boundName(c.value.value),
          tree: mk(node(c.value.tree), depth + 1),
        };
    }
  };
  return DelegateTree.simplify(mk(tree.root, 0));
}

/** An IP address's bytes: 4 for IPv4, 16 for IPv6; undefined when `ip` is not an address. */
export function ipBytes(ip: string): Uint8Array | undefined {
  const canonical = canonicalIp(ip);
  if (canonical === undefined) return undefined;
  if (!isIPv6(canonical)) return new Uint8Array(canonical.split(".").map(Number));
  const [head = "", tail = ""] = canonical.includes("::") ? canonical.split("::") : [canonical, ""];
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 255;
  });
  return out;
}

export function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join(".");
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2)
      groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
    return canonicalIp(groups.join(":")) ?? groups.join(":");
  }
  throw new NamerConversionError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
}

function toAddrMeta(meta: Meta): T.AddrMeta | undefined {
  const authority = typeof meta.authority === "string" ? meta.authority : undefined;
  const nodeName = typeof meta.nodeName === "string" ? meta.nodeName : undefined;
  const w = meta[WEIGHT_META_KEY];
  const weight = typeof w === "number" && Number.isFinite(w) ? w : undefined;
  if (authority === undefined && nodeName === undefined && weight === undefined) return undefined;
  return { authority, nodeName, endpoint_addr_weight: weight };
}

function fromAddrMeta(meta: T.AddrMeta | undefined): Meta {
  if (meta === undefined) return {};
  const out: Record<string, unknown> = {};
  if (meta.authority !== undefined) out.authority = meta.authority;
  if (meta.nodeName !== undefined) out.nodeName = meta.nodeName;
  if (meta.endpoint_addr_weight !== undefined) out[WEIGHT_META_KEY] = meta.endpoint_addr_weight;
  return out;
}

/** A bound Addr's addresses as namerd sends them (addresses that are not IPs are left out, as namerd does). */
export function toBoundAddr(addrs: readonly Address[], meta: Meta): T.BoundAddr {
  const addresses: T.TransportAddress[] = [];
  for (const a of addrs) {
    const ip = ipBytes(a.ip);
    if (ip !== undefined) addresses.push({ ip, port: a.port, meta: toAddrMeta(a.meta) });
  }
  return { addresses, meta: toAddrMeta(meta) };
}

export function fromAddrVal(value: T.AddrVal): Addr {
  if (value.kind === "neg") return Addr.neg;
  return Addr.bound(
    value.value.addresses.map((a) => Addr.address(ipText(a.ip), a.port, fromAddrMeta(a.meta))),
    fromAddrMeta(value.value.meta),
  );
}
