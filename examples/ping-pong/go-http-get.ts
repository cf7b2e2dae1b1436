// Go's `http.Get` as the article's ping uses it: proxy chosen from HTTP_PROXY/NO_PROXY, redirects followed.

import { type IncomingMessage, request } from "node:http";
import { BlockList, isIP } from "node:net";
import { buffer } from "node:stream/consumers";

/**
 * The proxy settings Go's `http.ProxyFromEnvironment` reads, once, at the first request (the article calls
 * `os.Setenv("http_proxy", ...)` before its first `http.Get`, so setting it at startup is the same thing).
 */
export interface ProxyConfig {
  /** The `HTTP_PROXY` value as given (Go reads `HTTP_PROXY` first, then `http_proxy`); empty means none. */
  readonly httpProxy: string;
  /** The `NO_PROXY` value (`NO_PROXY`, then `no_proxy`). */
  readonly noProxy: string;
  /** Go refuses `HTTP_PROXY` under CGI (`REQUEST_METHOD` set), because a client can set it as a header. */
  readonly cgi: boolean;
}

/** Go's `getEnvAny`: the first of the names whose value is non-empty. */
function envAny(env: NodeJS.ProcessEnv, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== "") return v;
  }
  return "";
}

export function proxyConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  return {
    httpProxy: envAny(env, "HTTP_PROXY", "http_proxy"),
    noProxy: envAny(env, "NO_PROXY", "no_proxy"),
    cgi: envAny(env, "REQUEST_METHOD") !== "",
  };
}

/** Go's `parseProxy`: a value without a scheme (`localhost:4001`) is taken as `http://localhost:4001`. */
function parseProxy(value: string): URL {
  let u: URL | null = null;
  try {
    u = new URL(value);
  } catch {}
  if (u === null || u.host === "") {
    try {
      return new URL(`http://${value}`);
    } catch {}
  }
  if (u === null) throw new Error(`invalid proxy address ${JSON.stringify(value)}`);
  return u;
}

/** A host name as a URL gives it, without IPv6 brackets. */
function bare(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

function ipFamily(ip: string): "ipv4" | "ipv6" {
  return isIP(ip) === 6 ? "ipv6" : "ipv4";
}

/** Whether `NO_PROXY` (Go's `httpproxy` rules) exempts `host:port` from the proxy. */
function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  const ip = isIP(host) === 0 ? null : host;
  for (const raw of noProxy.split(",")) {
    const p = raw.trim().toLowerCase();
    if (p === "") continue;
    if (p === "*") return true;
    const slash = p.indexOf("/");
    if (slash >= 0) {
      // An IP range in CIDR notation, which matches whatever the port.
      const net = p.slice(0, slash);
      const bits = Number(p.slice(slash + 1));
      if (isIP(net) !== 0 && Number.isInteger(bits) && ip !== null && ipFamily(net) === ipFamily(ip)) {
        const range = new BlockList();
        try {
          range.addSubnet(net, bits, ipFamily(net));
          if (range.check(ip, ipFamily(ip))) return true;
        } catch {}
      }
      continue;
    }
    // An entry may carry a port (`host:port`, `[v6]:port`); a bare IPv6 address has colons but no port.
    let phost = p;
    let pport = "";
    const m = /^\[([^\]]*)\]:(\d*)$/.exec(p) ?? (isIP(p) === 6 ? null : /^([^:]*):(\d*)$/.exec(p));
    if (m !== null) {
      phost = m[1] ?? "";
      pport = m[2] ?? "";
      if (phost === "") continue;
    }
    const portOk = pport === "" || pport === port;
    if (isIP(phost) !== 0) {
      if (ip !== null && portOk && single(phost).check(ip, ipFamily(ip))) return true;
      continue;
    }
    // `foo.com` matches foo.com and its subdomains, `.foo.com` and `*.foo.com` only the subdomains.
    if (phost.startsWith("*.")) phost = phost.slice(1);
    const matchHost = !phost.startsWith(".");
    if (matchHost) phost = `.${phost}`;
    const name = host.toLowerCase();
    if ((name.endsWith(phost) || (matchHost && name === phost.slice(1))) && portOk) return true;
  }
  return false;
}

/** A BlockList holding one address, so that equal addresses in different spellings (`::1`, `0::1`) match. */
function single(ip: string): BlockList {
  const b = new BlockList();
  b.addAddress(ip, ipFamily(ip));
  return b;
}

/**
 * The proxy Go's `http.ProxyFromEnvironment` picks for `url`, or null to connect directly. As in Go, requests to
 * `localhost` and loopback addresses never use the proxy, nor do hosts `NO_PROXY` names.
 */
export function proxyFor(url: URL, config: ProxyConfig): URL | null {
  if (url.protocol !== "http:" || config.httpProxy === "") return null;
  if (config.cgi) {
    throw new Error("refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgiproxy");
  }
  const host = bare(url.hostname);
  const port = url.port === "" ? "80" : url.port;
  if (host === "localhost") return null;
  if (isIP(host) !== 0 && loopback.check(host, ipFamily(host))) return null;
  if (noProxyMatches(config.noProxy, host, port)) return null;
  return parseProxy(config.httpProxy);
}

/** What `http.Get` gave: a body, an error from `http.Get` itself, or an error reading the body. */
export type GetOutcome =
  | { readonly kind: "body"; readonly body: Buffer }
  | { readonly kind: "get-failed"; readonly error: Error }
  | { readonly kind: "read-failed"; readonly error: Error };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Go's default `CheckRedirect` stops after 10 redirects. */
const MAX_REDIRECTS = 10;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(user)}:${decodeURIComponent(password)}`).toString("base64")}`;
}

/**
 * Sends one GET for `url`. Through a proxy it is the absolute form Go writes (`GET http://pong/pong HTTP/1.1`
 * with `Host: pong`, sent to the proxy's address); directly it is the origin form (`GET /pong`).
 */
function send(url: URL, config: ProxyConfig, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    try {
      if (url.protocol !== "http:")
        throw new Error(`unsupported protocol scheme ${JSON.stringify(url.protocol)}`);
      const proxy = proxyFor(url, config);
      if (proxy !== null && proxy.protocol !== "http:") {
        throw new Error(`proxy scheme ${JSON.stringify(proxy.protocol)} is not supported here, only http:`);
      }
      const headers: Record<string, string> = { host: url.host };
      if (url.username !== "") headers.authorization = basic(url.username, url.password);
      if (proxy !== null && proxy.username !== "") {
        headers["proxy-authorization"] = basic(proxy.username, proxy.password);
      }
      const path = `${url.pathname}${url.search}`;
      const to = proxy ?? url;
      const req = request(
        {
          host: bare(to.hostname),
          port: to.port === "" ? 80 : Number(to.port),
          method: "GET",
          path: proxy === null ? path : `${url.protocol}//${url.host}${path}`,
          headers,
          signal,
        },
        resolve,
      );
      req.on("error", reject);
      req.end();
    } catch (e) {
      reject(e);
    }
  });
}

/** Go's `http.Get(url)` followed by `ioutil.ReadAll(resp.Body)`, bounded by `signal`. Never rejects. */
export async function goHttpGet(url: URL, config: ProxyConfig, signal: AbortSignal): Promise<GetOutcome> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    let res: IncomingMessage;
    try {
      res = await send(current, config, signal);
    } catch (e) {
      return { kind: "get-failed", error: e as Error };
    }
    const location = res.headers.location;
    if (REDIRECTS.has(res.statusCode ?? 0) && location !== undefined && location !== "") {
      res.resume();
      if (redirects >= MAX_REDIRECTS) {
        return { kind: "get-failed", error: new Error(`stopped after ${MAX_REDIRECTS} redirects`) };
      }
      try {
        current = new URL(location, current);
      } catch {
        return {
          kind: "get-failed",
          error: new Error(`failed to parse Location header ${JSON.stringify(location)}`),
        };
      }
      continue;
    }
    try {
      return { kind: "body", body: await buffer(res) };
    } catch (e) {
      return { kind: "read-failed", error: e as Error };
    }
  }
}
