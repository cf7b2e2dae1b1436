// A resumable depth-first walk of the metrics tree that hands out rendered text in chunks.

import type { MetricsNode } from "./metrics-tree.ts";

/** The text a renderer has written since the last chunk was handed out. */
export interface Output {
  text: string;
}

/** What a renderer does at each node below the top: `C` is what a node passes to its children. */
export interface Visitor<C> {
  /** Writes what comes before `node`'s children; `index` is its position among its siblings. */
  enter(node: MetricsNode, parent: C, index: number): C;
  /** Writes what comes after `node`'s children (called for leaves too). */
  leave?(node: MetricsNode, context: C): void;
}

interface Frame<C> {
  readonly node: MetricsNode;
  readonly context: C;
  readonly kids: Iterator<MetricsNode>;
  index: number;
}

/** Subtrees this deep (a client, a service, a server under `rt/<router>/<kind>/<id>`) are walked at once. */
const UNIT_DEPTH = 4;

/**
 * Visits every node below `top` (not `top` itself), parents before children, children in order. The upper
 * levels are walked with an explicit stack so the walk can stop between subtrees; each subtree at depth
 * UNIT_DEPTH is visited at once by plain recursion, which is faster. Whenever `out.text` reaches `chunkChars`
 * it is yielded and emptied; the last text is left in `out` for the caller to finish. Children added or
 * removed while the walk is paused are seen or skipped as Map iteration does.
 */
export function* walk<C>(
  top: MetricsNode,
  context: C,
  visitor: Visitor<C>,
  out: Output,
  chunkChars: number,
): Generator<string, void, undefined> {
  const kids = top.children;
  if (kids === undefined) return;
  const stack: Frame<C>[] = [{ node: top, context, kids: kids.values(), index: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const next = frame.kids.next();
    if (next.done === true) {
      stack.pop();
      if (stack.length > 0) visitor.leave?.(frame.node, frame.context);
      continue;
    }
    const node = next.value;
    const inner = visitor.enter(node, frame.context, frame.index++);
    const grandkids = node.children;
    if (grandkids !== undefined && stack.length < UNIT_DEPTH) {
      stack.push({ node, context: inner, kids: grandkids.values(), index: 0 });
    } else {
      if (grandkids !== undefined) visitAll(grandkids, inner, visitor);
      visitor.leave?.(node, inner);
    }
    if (out.text.length >= chunkChars) {
      yield out.text;
      out.text = "";
    }
  }
}

function visitAll<C>(kids: ReadonlyMap<string, MetricsNode>, context: C, visitor: Visitor<C>): void {
  let index = 0;
  for (const node of kids.values()) {
    const inner = visitor.enter(node, context, index++);
    const grandkids = node.children;
    if (grandkids !== undefined) visitAll(grandkids, inner, visitor);
    visitor.leave?.(node, inner);
  }
}

/** All of a renderer's chunks as one string. */
export function joinChunks(chunks: Iterable<string>): string {
  let text = "";
  for (const chunk of chunks) text += chunk;
  return text;
}

/**
 * About how many characters a renderer hands out at a time: small enough to pace in slices of a quarter of a
 * millisecond (a 4 KiB piece takes some 0.05-0.1 ms to render), large enough to be cheap.
 */
export const DEFAULT_CHUNK_CHARS = 4096;
