// The built-in `/$/inet` and `/$/fixedinet` namers: `<host>/<port>[/residual]` or `<port>[/residual]` to an address.

import { Activity, BoundName, type Name, type Namer, NameTree, Path } from "../../naming/index.ts";
import { parsePort } from "./ip-literal.ts";
import { type ResolverOptions, resolveHostPort } from "./resolver.ts";

const LOCALHOST = "127.0.0.1";

/**
 * `/$/inet/<host>/<port>/<residual...>` binds to `host:port`, the id being `/$/inet/<host>/<port>`;
 * `/$/inet/<port>/<residual...>` binds to the local host. The `inet` kind looks names up again while in use;
 * `fixedinet` looks them up once.
 */
export class InetNamer implements Namer {
  readonly #kind: string;
  readonly #refresh: boolean;
  readonly #options: ResolverOptions;

  constructor(kind: "inet" | "fixedinet", options: ResolverOptions = {}) {
    this.#kind = kind;
    this.#refresh = kind === "inet";
    this.#options = options;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    const [first, second] = path.utf8Elems;
    if (first !== undefined && second !== undefined) {
      const port = parsePort(second);
      if (port !== undefined) return this.#bound(path, 2, first, port);
    }
    if (first !== undefined) {
      const port = parsePort(first);
      if (port !== undefined) return this.#bound(path, 1, LOCALHOST, port);
      // A number that is no port (`<host>/99999` or `<port>` alone as `99999`) is an error, as in Finagle.
      const bad = [second, first].find((t) => t !== undefined && /^[0-9]+$/.test(t));
      if (bad !== undefined) {
        return Activity.exception(
          new RangeError(`port out of range in /$/${this.#kind}${path.show}: ${bad}`),
        );
      }
    }
    return Activity.value(NameTree.neg);
  }

  #bound(path: Path, used: number, host: string, port: number): Activity<NameTree<Name>> {
    const id = Path.of("$", this.#kind).concat(path.take(used));
    const addr = resolveHostPort(host, port, this.#refresh, this.#options);
    return Activity.value(NameTree.leaf(new BoundName(id, addr, path.drop(used))));
  }
}
