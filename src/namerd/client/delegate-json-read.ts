// Reads Linkerd's delegation-tree JSON (`/delegator.json`, namerd's `/api/1/delegate`) back into a DelegateTree.

import {
  type Addr,
  type Address,
  BoundName,
  type DelegateTree,
  Dentry,
  readDentry,
  readPath,
  Var,
} from "../../naming/index.ts";

type JsonObject = Record<string, unknown>;

/** The tree, and each bound leaf's address as the JSON gave it (for drawing). */
export interface ReadDelegateTree {
  readonly tree: DelegateTree<BoundName>;
  readonly addrs: Map<BoundName, Addr>;
}

/** Throws on JSON that is not a delegation tree. */
export function readDelegateJson(json: unknown): ReadDelegateTree {
  const addrs = new Map<BoundName, Addr>();
  return { tree: node(json, addrs), addrs };
}

function obj(v: unknown, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`expected ${what} as an object`);
  return v as JsonObject;
}

function str(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`expected "${key}" as a string`);
  return v;
}

function dentryOf(o: JsonObject): Dentry {
  const d = o.dentry;
  if (d === undefined || d === null) return Dentry.nop;
  const x = obj(d, "dentry");
  return readDentry(`${str(x, "prefix")}=>${str(x, "dst")}`);
}

function pathOf(o: JsonObject, key = "path") {
  const p = o[key];
  if (p === undefined || p === null || p === "~" || p === "!") return readPath("/");
  return readPath(str(o, key));
}

function addrOf(v: unknown): Addr {
  const a = obj(v, "addr");
  switch (a.type) {
    case "bound": {
      const addrs = (Array.isArray(a.addrs) ? a.addrs : []).map((x): Address => {
        const e = obj(x, "address");
        return { ip: str(e, "ip"), port: Number(e.port), meta: (e.meta as Record<string, unknown>) ?? {} };
      });
      return { kind: "bound", addrs, meta: (a.meta as Record<string, unknown>) ?? {} };
    }
    case "failed":
      return { kind: "failed", cause: String(a.cause ?? "") };
    case "neg":
      return { kind: "neg" };
    default:
      return { kind: "pending" };
  }
}

function boundOf(v: unknown, addrs: Map<BoundName, Addr>): BoundName {
  const b = obj(v, "bound");
  const addr = addrOf(b.addr);
  const name = new BoundName(readPath(str(b, "id")), Var.value(addr), pathOf(b));
  addrs.set(name, addr);
  return name;
}

function node(v: unknown, addrs: Map<BoundName, Addr>): DelegateTree<BoundName> {
  const o = obj(v, "a delegation node");
  const dentry = dentryOf(o);
  switch (o.type) {
    case "exception":
      return { kind: "exception", path: pathOf(o), dentry, message: String(o.message ?? "") };
    case "empty":
      return { kind: "empty", path: pathOf(o), dentry };
    case "fail":
      return { kind: "fail", path: o.path === "!" ? readPath("/") : pathOf(o), dentry };
    case "neg":
      return { kind: "neg", path: pathOf(o), dentry };
    case "delegate":
      return { kind: "delegate", path: pathOf(o), dentry, tree: node(o.delegate, addrs) };
    case "leaf":
      return { kind: "leaf", path: pathOf(o), dentry, value: boundOf(o.bound, addrs) };
    case "alt":
      return {
        kind: "alt",
        path: pathOf(o),
        dentry,
        trees: (Array.isArray(o.alt) ? o.alt : []).map((t) => node(t, addrs)),
      };
    case "union":
      return {
        kind: "union",
        path: pathOf(o),
        dentry,
        trees: (Array.isArray(o.union) ? o.union : []).map((w) => {
          const x = obj(w, "a weighted branch");
          return { weight: Number(x.weight), tree: node(x.tree, addrs) };
        }),
      };
    case "transformation":
      return {
        kind: "transformation",
        path: pathOf(o),
        dentry,
        name: String(o.name ?? ""),
        value: boundOf(o.bound, addrs),
        tree: node(o.tree, addrs),
      };
    default:
      throw new Error(`unknown delegation node type ${JSON.stringify(o.type)}`);
  }
}
