// The last label of a serverset path: `name`, `name:endpoint`, `name#shard` or `name:endpoint#shard`, as Finagle's ServersetPath.

/** A serverset's znode name, the additional endpoint to use instead of the service endpoint, and a shard to keep. */
export interface ServersetLabel {
  readonly name: string;
  readonly endpoint: string | undefined;
  readonly shard: number | undefined;
}

const LABEL = /^([^:#]+)(?::([^:#]+))?(?:#(\d+))?$/;

/** The parts of `label`, or undefined when it is not of that form (an empty part, a second `:` or `#`). */
export function parseServersetLabel(label: string): ServersetLabel | undefined {
  const m = LABEL.exec(label);
  if (m === null) return undefined;
  const shard = m[3] === undefined ? undefined : Number(m[3]);
  if (shard !== undefined && !Number.isSafeInteger(shard)) return undefined;
  return { name: m[1] as string, endpoint: m[2], shard };
}

/** Whether ZooKeeper refuses a znode name for a character in it (its PathUtils): controls, surrogates, specials. */
function hasRefusedChar(label: string): boolean {
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) return true;
  }
  return false;
}

/**
 * The znode path of a serverset from its path labels, the last one already parsed; undefined when a label
 * cannot be part of a znode path (empty, `.`, `..`, with `/`, or a character ZooKeeper refuses).
 */
export function znodePath(parents: readonly string[], name: string): string | undefined {
  const labels = [...parents, name];
  for (const l of labels) {
    if (l === "" || l === "." || l === ".." || l.includes("/") || hasRefusedChar(l)) return undefined;
  }
  return `/${labels.join("/")}`;
}
