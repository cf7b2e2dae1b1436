// Renders a delegation tree as the JSON of Linkerd's `/delegator.json`, and as an indented drawing for people.

import { Addr } from "./addr.ts";
import { DelegateTree } from "./delegate-tree.ts";
import type { Dentry } from "./dtab.ts";
import type { BoundName } from "./name.ts";
import { Path } from "./path.ts";
import type { Closable } from "./var.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const FAIL_PATH = Path.of("$", "fail");

/**
 * Waits (at most `timeoutMs`) for each bound leaf's address to leave Pending, then snapshots it. A leaf still
 * pending at the deadline is shown as pending rather than holding the whole answer back.
 */
export async function resolveAddrs(
  tree: DelegateTree<BoundName>,
  timeoutMs: number,
): Promise<Map<BoundName, Addr>> {
  const leaves = new Set<BoundName>();
  collect(tree, leaves);
  const out = new Map<BoundName, Addr>();
  await Promise.all(
    [...leaves].map(
      (b) =>
        new Promise<void>((resolve) => {
          let sub: Closable | undefined;
          let done = false;
          const finish = (a: Addr) => {
            if (done) return;
            done = true;
            out.set(b, a);
            clearTimeout(timer);
            sub?.close();
            resolve();
          };
          const timer = setTimeout(() => finish(Addr.pending), timeoutMs);
          sub = b.addr.observe((a) => {
            if (a.kind !== "pending") finish(a);
          });
          if (done) sub.close();
        }),
    ),
  );
  return out;
}

function collect(tree: DelegateTree<BoundName>, into: Set<BoundName>): void {
  switch (tree.kind) {
    case "leaf":
      into.add(tree.value);
      return;
    case "transformation":
      into.add(tree.value);
      collect(tree.tree, into);
      return;
    case "delegate":
      collect(tree.tree, into);
      return;
    case "alt":
      for (const t of tree.trees) collect(t, into);
      return;
    case "union":
      for (const w of tree.trees) collect(w.tree, into);
      return;
  }
}

function dentryJson(d: Dentry): Json | undefined {
  return d.isNop ? undefined : d.toJSON();
}

function boundJson(b: BoundName, addrs: ReadonlyMap<BoundName, Addr>): Json {
  return {
    addr: Addr.toJSON(addrs.get(b) ?? Addr.pending) as Json,
    id: b.id.show,
    path: b.residual.show,
  };
}

/** Builds an object in Linkerd's key order, leaving out absent fields (Jackson's NON_ABSENT). */
function obj(entries: [string, Json | undefined][]): Json {
  const o: { [key: string]: Json } = {};
  for (const [k, v] of entries) if (v !== undefined) o[k] = v;
  return o;
}

/** The `/delegator.json` shape of a delegation tree, with each leaf's address as snapshotted in `addrs`. */
export function delegateTreeToJson(tree: DelegateTree<BoundName>, addrs: ReadonlyMap<BoundName, Addr>): Json {
  const d = dentryJson(tree.dentry);
  switch (tree.kind) {
    case "exception":
      return obj([
        ["type", "exception"],
        ["path", tree.path.show],
        ["dentry", d],
        ["message", tree.message],
      ]);
    case "empty":
      return obj([
        ["type", "empty"],
        ["path", tree.path.show],
        ["dentry", d],
      ]);
    case "fail":
      return obj([
        ["type", "fail"],
        ["path", tree.path.startsWith(FAIL_PATH) ? tree.path.show : "!"],
        ["dentry", d],
      ]);
    case "neg":
      return obj([
        ["type", "neg"],
        ["path", tree.path.isEmpty ? "~" : tree.path.show],
        ["dentry", d],
      ]);
    case "delegate":
      return obj([
        ["type", "delegate"],
        ["path", tree.path.show],
        ["dentry", d],
        ["delegate", delegateTreeToJson(tree.tree, addrs)],
      ]);
    case "leaf":
      return obj([
        ["type", "leaf"],
        ["path", tree.path.show],
        ["dentry", d],
        ["bound", boundJson(tree.value, addrs)],
      ]);
    case "alt":
      return obj([
        ["type", "alt"],
        ["path", tree.path.show],
        ["dentry", d],
        ["alt", tree.trees.map((t) => delegateTreeToJson(t, addrs))],
      ]);
    case "union":
      return obj([
        ["type", "union"],
        ["path", tree.path.show],
        ["dentry", d],
        ["union", tree.trees.map((w) => ({ weight: w.weight, tree: delegateTreeToJson(w.tree, addrs) }))],
      ]);
    case "transformation":
      return obj([
        ["type", "transformation"],
        ["path", tree.path.show],
        ["name", tree.name],
        ["bound", boundJson(tree.value, addrs)],
        ["tree", delegateTreeToJson(tree.tree, addrs)],
      ]);
  }
}

/**
 * The same tree drawn for a person, one node a line:
 *
 *     /svc/pong
 *     └─ /$/inet/127.1/8002  (by /svc=>/$/inet/127.1/8002)
 *        └─ bound /$/inet/127.1/8002: 127.0.0.1:8002
 */
export function drawDelegateTree(tree: DelegateTree<BoundName>, addrs: ReadonlyMap<BoundName, Addr>): string {
  const lines: string[] = [];
  draw(tree, addrs, "", "", lines);
  return lines.join("\n");
}

function by(d: Dentry): string {
  return d.isNop ? "" : `  (by ${d.show})`;
}

function boundLine(b: BoundName, addrs: ReadonlyMap<BoundName, Addr>): string {
  const residual = b.residual.isEmpty ? "" : ` residual ${b.residual.show}`;
  return `bound ${b.id.show}${residual}: ${Addr.describe(addrs.get(b) ?? Addr.pending)}`;
}

function label(tree: DelegateTree<BoundName>): string {
  switch (tree.kind) {
    case "exception":
      return `${tree.path.show}  error: ${tree.message}${by(tree.dentry)}`;
    case "empty":
      return `${tree.path.show}  $ (empty: exists, no endpoints)${by(tree.dentry)}`;
    case "fail":
      return `${tree.path.isEmpty ? "" : `${tree.path.show}  `}! (fail)${by(tree.dentry)}`;
    case "neg":
      return `${tree.path.isEmpty ? "" : `${tree.path.show}  `}~ (neg: no match)${by(tree.dentry)}`;
    case "delegate":
    case "leaf":
      return `${tree.path.show}${by(tree.dentry)}`;
    case "alt":
      return `${tree.path.show}  alternatives, the first that binds wins${by(tree.dentry)}`;
    case "union":
      return `${tree.path.show}  union, traffic split by weight${by(tree.dentry)}`;
    case "transformation":
      return `${tree.path.show}  transformed by ${tree.name}`;
  }
}

function draw(
  tree: DelegateTree<BoundName>,
  addrs: ReadonlyMap<BoundName, Addr>,
  first: string,
  rest: string,
  lines: string[],
): void {
  // A delegate whose only child stands at the same path (a Neg, Fail or Empty answer) reads better as one line.
  if (tree.kind === "delegate" && tree.tree.path.equals(tree.path) && tree.tree.kind !== "transformation") {
    draw(
      tree.tree.dentry.isNop ? DelegateTree.withDentry(tree.tree, tree.dentry) : tree.tree,
      addrs,
      first,
      rest,
      lines,
    );
    return;
  }
  lines.push(first + label(tree));
  const children: { text?: string; tree?: DelegateTree<BoundName> }[] = [];
  switch (tree.kind) {
    case "delegate":
      children.push({ tree: tree.tree });
      break;
    case "leaf":
      children.push({ text: boundLine(tree.value, addrs) });
      break;
    case "transformation":
      children.push({ text: boundLine(tree.value, addrs) }, { tree: tree.tree });
      break;
    case "alt":
      for (const t of tree.trees) children.push({ tree: t });
      break;
    case "union":
      for (const w of tree.trees) children.push({ text: `weight ${w.weight}`, tree: w.tree });
      break;
  }
  children.forEach((c, i) => {
    const last = i === children.length - 1;
    const head = rest + (last ? "└─ " : "├─ ");
    const tail = rest + (last ? "   " : "│  ");
    if (c.tree && c.text) {
      lines.push(head + c.text);
      draw(c.tree, addrs, `${tail}└─ `, `${tail}   `, lines);
    } else if (c.tree) {
      draw(c.tree, addrs, head, tail, lines);
    } else if (c.text) {
      lines.push(head + c.text);
    }
  });
}
