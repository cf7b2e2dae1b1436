// The metrics tree: nodes keyed by path segment (a segment may contain `/`), each holding at most one metric.

import type { Metric } from "./metric.ts";

/**
 * A node of the metrics tree. A node may hold a metric and have children at once (`failures` counts all
 * failures while `failures/<exception>` counts each kind). Children keep insertion order, which is the
 * order renderers write them in.
 */
export class MetricsNode {
  readonly name: string;
  private up: MetricsNode | undefined;
  private kids: Map<string, MetricsNode> | undefined;
  /** The metric at this node, if any; set through the registry (`Metrics`), which checks kinds. */
  metric: Metric | undefined;

  constructor(name = "", parent?: MetricsNode) {
    this.name = name;
    this.up = parent;
    this.kids = undefined;
    this.metric = undefined;
  }

  /** The parent, or undefined for a root or a node that was removed from its tree. */
  get parent(): MetricsNode | undefined {
    return this.up;
  }

  /** The children in insertion order, or undefined when there are none (leaves allocate no map). */
  get children(): ReadonlyMap<string, MetricsNode> | undefined {
    return this.kids;
  }

  child(name: string): MetricsNode | undefined {
    return this.kids?.get(name);
  }

  /** The node at `path` below this one, if it exists. */
  find(path: readonly string[]): MetricsNode | undefined {
    let node: MetricsNode | undefined = this;
    for (let i = 0; i < path.length && node !== undefined; i++) node = node.child(path[i]!);
    return node;
  }

  /** The node at `path` below this one, created (with any missing ancestors) if needed. */
  resolve(path: readonly string[]): MetricsNode {
    let node: MetricsNode = this;
    for (const name of path) {
      let next = node.child(name);
      if (next === undefined) {
        next = new MetricsNode(name, node);
        node.kids ??= new Map();
        node.kids.set(name, next);
      }
      node = next;
    }
    return node;
  }

  /** True when the node holds nothing: no metric and no children. */
  get isEmpty(): boolean {
    return this.metric === undefined && (this.kids === undefined || this.kids.size === 0);
  }

  /**
   * Detaches this node (and so its whole subtree) from its parent, then detaches each ancestor left empty,
   * stopping below the root. Handles to metrics in the subtree keep working but are no longer rendered.
   */
  remove(): void {
    let node: MetricsNode = this;
    let parent = node.up;
    while (parent !== undefined) {
      parent.kids?.delete(node.name);
      if (parent.kids?.size === 0) parent.kids = undefined;
      node.up = undefined;
      if (!parent.isEmpty || parent.up === undefined) return;
      node = parent;
      parent = node.up;
    }
  }

  /** The segments from the root to this node. */
  get path(): string[] {
    const path: string[] = [];
    for (let node: MetricsNode | undefined = this; node?.up !== undefined; node = node.up)
      path.push(node.name);
    return path.reverse();
  }

  /** Calls `visit` on every metric at or below this node, parents before children. */
  forEachMetric(visit: (metric: Metric, node: MetricsNode) => void): void {
    if (this.metric !== undefined) visit(this.metric, this);
    if (this.kids !== undefined) for (const kid of this.kids.values()) kid.forEachMetric(visit);
  }
}
