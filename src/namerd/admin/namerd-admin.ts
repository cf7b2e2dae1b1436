// namerd's own admin pages: the namespaces (`/`), one namespace's dtab (`/dtab/<ns>`), and the delegator JSON.

import type { IncomingMessage, ServerResponse } from "node:http";
import { readBodyText } from "../../http/read-body.ts";
import {
  ActivityTimeoutError,
  type BoundName,
  type DelegateTree,
  Dtab,
  delegateTreeToJson,
  NameSyntaxError,
  readDtab,
  readPath,
  resolveAddrs,
} from "../../naming/index.ts";
import type { Namerd } from "../namerd-core.ts";

const DELEGATE_TIMEOUT_MS = 2000;
const READ_TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 64 * 1024;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}<p><a href="/">namespaces</a> · <a href="/admin">admin pages</a></p></body></html>\n`;
}

/** The admin server's extra routes for namerd; resolves true when it answered the request. */
export function namerdAdminRoutes(core: Namerd) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname;
    if (path === "/") {
      const names = await core.namespaces().toPromise(READ_TIMEOUT_MS);
      const items = names.map(
        (n) => `<li><a href="/dtab/${encodeURIComponent(n)}">${escapeHtml(n)}</a></li>`,
      );
      send(
        res,
        200,
        "text/html; charset=utf-8",
        page("namerd", `<h1>namerd: dtab namespaces</h1><ul>${items.join("") || "<li>(none yet)</li>"}</ul>`),
      );
      return true;
    }
    if (path === "/delegator.json" || path === "/dtab/delegator.json") {
      await delegator(core, req, res, url);
      return true;
    }
    const m = /^\/dtab\/([^/]+)\/?$/.exec(path);
    if (m !== null) {
      let ns: string;
      try {
        ns = decodeURIComponent(m[1] as string);
      } catch {
        send(res, 400, "text/plain", "invalid percent-encoding\n");
        return true;
      }
      const v = await core.dtab(ns).toPromise(READ_TIMEOUT_MS);
      if (v === undefined) {
        send(
          res,
          404,
          "text/html; charset=utf-8",
          page(ns, `<h1>${escapeHtml(ns)}</h1><p>no such namespace</p>`),
        );
        return true;
      }
      const version = Buffer.from(v.version).toString("base64");
      const api = `/api/1/dtabs/${encodeURIComponent(ns)}`;
      send(
        res,
        200,
        "text/html; charset=utf-8",
        page(
          ns,
          `<h1>namespace ${escapeHtml(ns)}</h1><p>version ${escapeHtml(version)}</p><pre>${escapeHtml(v.dtab.pretty)}</pre>` +
            `<p>Change it with <code>trellis dtab update ${escapeHtml(ns)} FILE --version ${escapeHtml(version)}</code> (HTTP API: <code>PUT ${escapeHtml(api)}</code> on the controller).</p>`,
        ),
      );
      return true;
    }
    return false;
  };
}

async function delegator(core: Namerd, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let ns: string | null;
  let dtabText: string | null;
  let pathText: string | null;
  if (req.method === "POST") {
    let body: { namespace?: unknown; dtab?: unknown; path?: unknown };
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      send(res, 400, "text/plain", `Malformed delegation request: ${(e as Error).message}\n`);
      return;
    }
    ns = typeof body?.namespace === "string" ? body.namespace : null;
    dtabText = typeof body?.dtab === "string" ? body.dtab : null;
    pathText = typeof body?.path === "string" ? body.path : null;
  } else {
    ns = url.searchParams.get("namespace");
    dtabText = url.searchParams.get("dtab");
    pathText = url.searchParams.get("path");
  }
  let dtab: Dtab;
  let path: ReturnType<typeof readPath>;
  try {
    dtab = dtabText === null ? Dtab.empty : readDtab(dtabText);
  } catch (e) {
    if (!(e instanceof NameSyntaxError)) throw e;
    send(res, 400, "text/plain", `Invalid dtab: ${e.message}\n`);
    return;
  }
  try {
    if (pathText === null) throw new Error("the path parameter is missing");
    path = readPath(pathText);
  } catch (e) {
    send(res, 400, "text/plain", `Invalid path: ${(e as Error).message}\n`);
    return;
  }
  const started = Date.now();
  let tree: DelegateTree<BoundName>;
  try {
    const act = ns === null ? core.delegateWithoutNamespace(dtab, path) : core.delegate(ns, dtab, path);
    tree = await act.toPromise(DELEGATE_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof ActivityTimeoutError) send(res, 503, "text/plain", "Request timed out.\n");
    else send(res, 500, "text/plain", `${(e as Error).message}\n`);
    return;
  }
  const addrs = await resolveAddrs(tree, Math.max(0, DELEGATE_TIMEOUT_MS - (Date.now() - started)));
  send(res, 200, "application/json", JSON.stringify(delegateTreeToJson(tree, addrs)));
}

function readBody(req: IncomingMessage): Promise<string> {
  return readBodyText(req, MAX_BODY_BYTES, () => new Error("request body too large"), "pause");
}
