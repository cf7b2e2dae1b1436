// Linkerd's rewriting `/$/` namers (hostportPfx, http.domainToPathPfx, ...): path in, path out; and io.buoyant.rinet.

import { Activity, BoundName, type Name, type Namer, NameTree, Path } from "../naming/index.ts";

/** Rewrites the path after `/$/<kind>` into another path to be bound further, or gives Neg if it does not fit. */
type Rewrite = (labels: readonly string[], rest: Path) => Path | undefined;

class RewritingNamer implements Namer {
  readonly #rewrite: Rewrite;
  readonly #uses: number;

  constructor(uses: number, rewrite: Rewrite) {
    this.#uses = uses;
    this.#rewrite = rewrite;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    if (path.size < this.#uses) return Activity.value(NameTree.neg);
    const out = this.#rewrite(path.take(this.#uses).utf8Elems, path.drop(this.#uses));
    return Activity.value(out === undefined ? NameTree.neg : NameTree.leaf(out));
  }
}

/** Coarse host match, as Linkerd's: DNS names, IPv4 and IPv6 text. */
const HOST = /^[A-Za-z0-9.:_-]+$/;
const METHOD = /^[A-Z]+$/;
/** A port in `host:port` may be a number or a DNS label (a named port), at most 63 characters. */
const PORT_LABEL = /^[a-z0-9][-a-z0-9]*[a-z0-9]?$/;

/** Splits as Java's `String.split` (which Linkerd uses) does: trailing empty strings are dropped. */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts.length === 1 && parts[0] === "" && text.length > 0 ? [] : parts;
}

function hostColonPort(text: string): [string, string] | undefined {
  const parts = javaSplit(text, ":");
  if (parts.length !== 2) return undefined;
  const [host, port] = parts as [string, string];
  if (!PORT_LABEL.test(port) || port.length > 63) return undefined;
  return [host, port];
}

function dropPort(host: string): string {
  const i = host.indexOf(":");
  return i > 0 ? host.slice(0, i) : host;
}

function subdomain(domain: string, host: string): string | undefined {
  const suffix = `.${domain}`;
  const bare = dropPort(host);
  if (!bare.endsWith(suffix)) return undefined;
  const sub = bare.slice(0, -suffix.length);
  return sub.length > 0 ? sub : undefined;
}

function labels(...texts: string[]): Path | undefined {
  if (texts.some((t) => t.length === 0)) return undefined;
  return Path.utf8(...texts);
}

function join(head: Path | undefined, rest: Path): Path | undefined {
  return head?.concat(rest);
}

const RINET_PREFIX = Path.of("$", "io.buoyant.rinet");

/**
 * `/$/io.buoyant.rinet/<port>/<host>[/rest]`: binds as `/$/inet/<host>/<port>[/rest]` through `inet`, but under
 * its own id `/$/io.buoyant.rinet/<port>/<host>`, as Linkerd's does (the id names the client).
 */
export class RinetNamer implements Namer {
  readonly #inet: Namer;

  constructor(inet: Namer) {
    this.#inet = inet;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    if (path.size < 2) return Activity.value(NameTree.neg);
    const [port, host] = path.elems as [string, string];
    const id = RINET_PREFIX.concat(path.take(2));
    return this.#inet
      .lookup(Path.unsafeOf([host, port]).concat(path.drop(2)))
      .map((tree) =>
        tree.kind === "leaf" && tree.value instanceof BoundName
          ? NameTree.leaf<Name>(new BoundName(id, tree.value.addr, tree.value.residual))
          : tree,
      );
  }
}

/** The rewriting namers by their `/$/` kind (`io.buoyant.rinet`, which binds through `inet`, is `RinetNamer`). */
export const REWRITING_NAMERS: ReadonlyMap<string, Namer> = new Map<string, Namer>([
  // /pfx/host:port/rest -> /pfx/host/port/rest
  [
    "io.buoyant.hostportPfx",
    new RewritingNamer(2, ([pfx, hp], rest) => {
      const split = hostColonPort(hp!);
      return split && join(labels(pfx!, split[0], split[1]), rest);
    }),
  ],
  // /pfx/host:port/rest -> /pfx/port/host/rest
  [
    "io.buoyant.porthostPfx",
    new RewritingNamer(2, ([pfx, hp], rest) => {
      const split = hostColonPort(hp!);
      return split && join(labels(pfx!, split[1], split[0]), rest);
    }),
  ],
  // /METHOD/rest -> /rest
  ["io.buoyant.http.anyMethod", new RewritingNamer(1, ([m], rest) => (METHOD.test(m!) ? rest : undefined))],
  // /pfx/METHOD/rest -> /pfx/rest
  [
    "io.buoyant.http.anyMethodPfx",
    new RewritingNamer(2, ([pfx, m], rest) => (METHOD.test(m!) ? join(labels(pfx!), rest) : undefined)),
  ],
  // /host/rest -> /rest
  ["io.buoyant.http.anyHost", new RewritingNamer(1, ([h], rest) => (HOST.test(h!) ? rest : undefined))],
  // /pfx/host/rest -> /pfx/rest
  [
    "io.buoyant.http.anyHostPfx",
    new RewritingNamer(2, ([pfx, h], rest) => (HOST.test(h!) ? join(labels(pfx!), rest) : undefined)),
  ],
  // /buoyant.io/foo.buoyant.io/rest -> /foo/rest
  [
    "io.buoyant.http.subdomainOf",
    new RewritingNamer(2, ([domain, host], rest) => {
      if (!HOST.test(domain!) || !HOST.test(host!)) return undefined;
      const sub = subdomain(domain!, host!);
      return sub === undefined ? undefined : join(labels(sub), rest);
    }),
  ],
  // /buoyant.io/pfx/foo.buoyant.io/rest -> /pfx/foo/rest
  [
    "io.buoyant.http.subdomainOfPfx",
    new RewritingNamer(3, ([domain, pfx, host], rest) => {
      if (!HOST.test(domain!) || !HOST.test(host!)) return undefined;
      const sub = subdomain(domain!, host!);
      return sub === undefined ? undefined : join(labels(pfx!, sub), rest);
    }),
  ],
  // /foo.buoyant.io/rest -> /io/buoyant/foo/rest
  [
    "io.buoyant.http.domainToPath",
    new RewritingNamer(1, ([host], rest) =>
      HOST.test(host!) ? join(labels(...javaSplit(host!, ".").reverse()), rest) : undefined,
    ),
  ],
  // /pfx/foo.buoyant.io/rest -> /pfx/io/buoyant/foo/rest
  [
    "io.buoyant.http.domainToPathPfx",
    new RewritingNamer(2, ([pfx, host], rest) =>
      HOST.test(host!) ? join(labels(pfx!, ...javaSplit(host!, ".").reverse()), rest) : undefined,
    ),
  ],
]);
