// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive time by function and by file.

import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Row {
  readonly key: string;
  readonly ms: number;
  /** Share of the busy time (everything but "(idle)"). */
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  /** Self time by function (name, file and line). */
  readonly selfByFunction: readonly Row[];
  /** Self time by file (node internals, the project's src files, GC, ...). */
  readonly selfByFile: readonly Row[];
  /** Inclusive time (the function is anywhere on the stack) of the project's own functions. */
  readonly inclusiveProject: readonly Row[];
}

/** A readable location: the project's files relative to its root, node internals as `node:...`. */
function where(url: string, root: string): string {
  if (url === "") return "";
  if (url.startsWith(root)) return url.slice(root.length);
  if (url.startsWith("file://")) return url.slice("file://".length);
  return url;
}

function functionKey(f: CallFrame, root: string): string {
  const name = f.functionName || "(anonymous)";
  const file = where(f.url, root);
  return file === "" ? name : `${name} ${file}:${f.lineNumber + 1}`;
}

function fileKey(f: CallFrame, root: string): string {
  const file = where(f.url, root);
  if (file !== "") return file;
  // (garbage collector), (program), (idle), (root), and native functions without a script.
  return f.functionName.startsWith("(") ? f.functionName : `(native) ${f.functionName}`;
}

function top(map: Map<string, number>, busyMs: number, n: number): Row[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => ({ key, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
}

/**
 * Reads a profile and sums each sample's time (its time delta) onto its node, then groups. `root` is the
 * project's root as a file URL (`file:///work/main/`); functions under `root + "src/"` count as project code.
 */
export function summarizeProfile(file: string, root: string, n = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of p.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let totalUs = 0;
  let idleUs = 0;
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const project = `${root}src/`;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const f = node.callFrame;
    if (f.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const ms = us / 1000;
    const fk = functionKey(f, root);
    selfFn.set(fk, (selfFn.get(fk) ?? 0) + ms);
    const file = fileKey(f, root);
    selfFile.set(file, (selfFile.get(file) ?? 0) + ms);
    // Inclusive: each project function on this node's stack, once per stack (recursion is not double-counted).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = (byId.get(cur) as ProfileNode).callFrame;
      if (!cf.url.startsWith(project)) continue;
      const k = functionKey(cf, root);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
    }
  }
  const busyMs = (totalUs - idleUs) / 1000;
  return {
    file,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs,
    selfByFunction: top(selfFn, busyMs, n),
    selfByFile: top(selfFile, busyMs, n),
    inclusiveProject: top(inclusive, busyMs, n),
  };
}

function table(title: string, rows: readonly Row[]): string[] {
  const out = [`### ${title}`, "", "| # | ms | % busy | where |", "|--:|--:|--:|---|"];
  rows.forEach((r, i) => {
    out.push(
      `| ${i + 1} | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)} | \`${r.key.replaceAll("|", "/")}\` |`,
    );
  });
  out.push("");
  return out;
}

export function profileMarkdown(s: ProfileSummary): string {
  const lines = [
    `## CPU profile ${s.file}`,
    "",
    `Sampled ${(s.totalMs / 1000).toFixed(1)} s: busy ${(s.busyMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s. ` +
      "Percentages are of the busy time.",
    "",
    ...table("Self time by function", s.selfByFunction),
    ...table("Self time by file", s.selfByFile),
    ...table("Inclusive time of the project's functions (src/)", s.inclusiveProject),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Who calls the functions named `name`: their self time grouped by the `depth` frames above them, heaviest
 * first (e.g. to find what creates DOMExceptions).
 */
export function callersOf(file: string, root: string, name: string, depth = 6, n = 10): Row[] {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of p.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  let busyUs = 0;
  const stacks = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    const us = p.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === "(idle)") continue;
    busyUs += us;
    // The sample counts for `name` if `name` is on its stack; the key is the chain from `name` upwards.
    let cur: number | undefined = id;
    while (cur !== undefined && (byId.get(cur) as ProfileNode).callFrame.functionName !== name)
      cur = parent.get(cur);
    if (cur === undefined) continue;
    const frames: string[] = [];
    for (let k = 0; cur !== undefined && k <= depth; k++, cur = parent.get(cur)) {
      frames.push(functionKey((byId.get(cur) as ProfileNode).callFrame, root));
    }
    const key = frames.join(" ← ");
    stacks.set(key, (stacks.get(key) ?? 0) + us / 1000);
  }
  return top(stacks, busyUs / 1000, n);
}
