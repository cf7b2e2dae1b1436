// Proxy-style requests (`GET http://host/path`) turned into ordinary ones: Host from the authority, origin-form target.

import type { ProxyRequest } from "./message.ts";

/** What became of a request target. */
export type TargetRewrite =
  /** Already origin form (`/path?q`) or `OPTIONS *`: nothing to do. */
  | { readonly kind: "origin-form" }
  /** Absolute form: route on `authority` (the new Host) and forward `target`. */
  | {
      readonly kind: "absolute-form";
      readonly scheme: string;
      readonly authority: string;
      readonly target: string;
    }
  /** Answer with `status` and `message` (marked `l5d-err`) instead of forwarding. */
  | { readonly kind: "refused"; readonly status: 400 | 501; readonly message: string };

/** `scheme://` at the very start of a target (RFC 3986 scheme syntax, any case). */
const SCHEME_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** An authority without userinfo: a bracketed IP literal or a reg-name, then an optional port. */
const AUTHORITY = /^(?:\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::([0-9]*))?$/;

export const CONNECT_NOT_SUPPORTED = "CONNECT is not supported: trellis does not tunnel";

/**
 * Classifies a request target the way Linkerd's ProxyRewriteFilter does, stricter where Linkerd failed or
 * forwarded nonsense. A target that starts with `scheme://` is absolute: the scheme is dropped (any scheme,
 * `https` included, as in Linkerd), the authority becomes Host, and the rest (path, query and fragment, bytes
 * unchanged) becomes the target, `/` when empty. `://` elsewhere (`/r?to=http://x`) is origin form.
 */
export function classifyTarget(method: string, target: string): TargetRewrite {
  if (method === "CONNECT") return { kind: "refused", status: 501, message: CONNECT_NOT_SUPPORTED };
  if (target.startsWith("/")) return { kind: "origin-form" };
  if (target === "*") {
    return method === "OPTIONS"
      ? { kind: "origin-form" }
      : { kind: "refused", status: 400, message: `the target * is only allowed for OPTIONS, not ${method}` };
  }
  const scheme = SCHEME_PREFIX.exec(target);
  if (scheme === null) return refused("the request target must be in origin form (/path) or absolute form");
  const rest = target.slice(scheme[0].length);
  const end = firstOf(rest, "/?#");
  const authority = rest.slice(0, end);
  if (authority === "") return refused("the absolute request target has no host");
  if (authority.includes("@")) return refused("the absolute request target carries user information");
  const parts = AUTHORITY.exec(authority);
  if (parts === null) return refused("the absolute request target has an invalid host");
  const port = parts[1];
  if (port !== undefined && port !== "" && (port.length > 5 || Number(port) > 65535)) {
    return refused("the absolute request target has an invalid port");
  }
  const tail = rest.slice(end);
  const origin = tail.startsWith("/") ? tail : `/${tail}`;
  return { kind: "absolute-form", scheme: (scheme[1] as string).toLowerCase(), authority, target: origin };
}

/**
 * Applies `classifyTarget` to a request: on absolute form, every Host line is replaced by the authority and the
 * target is rewritten. Nothing changes when the result is `origin-form` or `refused`.
 */
export function rewriteAbsoluteForm(
  request: Pick<ProxyRequest, "method" | "target" | "headers">,
): TargetRewrite {
  const result = classifyTarget(request.method, request.target);
  if (result.kind === "absolute-form") {
    request.headers.set("Host", result.authority);
    request.target = result.target;
  }
  return result;
}

function refused(message: string): TargetRewrite {
  return { kind: "refused", status: 400, message };
}

function firstOf(text: string, chars: string): number {
  for (let i = 0; i < text.length; i++) if (chars.includes(text.charAt(i))) return i;
  return text.length;
}
