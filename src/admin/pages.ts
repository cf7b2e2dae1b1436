// Which admin pages exist, which category each is in, and the `admin.security` rule that decides if it is served.

import type { AdminConfig } from "../config/linker-schema.ts";
import type { StreamedPage } from "../plugins.ts";

export type PageCategory = "ui" | "control" | "diagnostics";

/** A page a telemeter adds, rendered on each request. */
export type AdminPage = () => StreamedPage;

const PAGES: readonly [string, string][] = [
  ["/admin/ping", "liveness: answers pong"],
  ["/admin/metrics.json", "metrics, flat (?tree=1 nested, ?q=rt/<router> a subtree, ?pretty=1)"],
  ["/config.json", "the effective config"],
  ["/delegator.json", "explain a binding: ?namespace=<router>&dtab=<dtab>&path=<path> (or POST JSON)"],
  ["/client_state.json", "each client's addresses and state"],
  ["/bound-names.json", "names known to enumerating namers"],
  ["/admin/shutdown", "POST: shut down gracefully (?grace=10.seconds)"],
];

/**
 * Linkerd's rule: a page is served when its category is enabled and it is not blacklisted, or when its
 * category is disabled and it is whitelisted.
 */
export function allowed(security: AdminConfig["security"], category: PageCategory, path: string): boolean {
  if (security === undefined) return true;
  const on =
    category === "ui"
      ? security.uiEnabled
      : category === "control"
        ? security.controlEnabled
        : security.diagnosticsEnabled;
  const matches = (patterns: readonly string[]) => patterns.some((p) => new RegExp(`^(?:${p})$`).test(path));
  return on ? !matches(security.pathBlacklist) : matches(security.pathWhitelist);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The list of admin pages, as text, or as a small HTML page for `/`; `namerStates` are `/namer_state/...` pages. */
export function adminIndex(
  html: boolean,
  extra: readonly string[],
  namerStates: readonly string[] = [],
): string {
  const pages: [string, string][] = [
    ...PAGES,
    ...namerStates.map((p): [string, string] => [
      p,
      "a namer's state (for ZooKeeper: the connection's health)",
    ]),
    ...extra.map((p): [string, string] => [
      p,
      p.includes("/interpreter_state/")
        ? "an interpreter's state (namerd connection and watches)"
        : "telemeter page",
    ]),
  ];
  if (!html) return `${pages.map(([p, what]) => `${p}\t${what}`).join("\n")}\n`;
  const items = pages.map(
    ([p, what]) => `<li><a href="${escapeHtml(p)}">${escapeHtml(p)}</a> ${escapeHtml(what)}</li>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>trellis admin</title></head><body><h1>trellis admin</h1><ul>${items.join("")}</ul></body></html>\n`;
}
