// `io.l5d.static`: every request gets the same name, `dstPrefix ++ path`.

import type { Path } from "../../naming/index.ts";
import type { Identification, Identifier } from "./identifier.ts";

export interface StaticIdentifierOptions {
  /** The name under `dstPrefix`; required. */
  readonly path: Path;
}

export const STATIC_KIND = "io.l5d.static";

export class StaticIdentifier implements Identifier {
  readonly path: Path;
  readonly #identification: Identification;

  constructor(options: StaticIdentifierOptions, dstPrefix: Path) {
    if (options.path === undefined) throw new RangeError(`${STATIC_KIND}: path is required`);
    this.path = dstPrefix.concat(options.path);
    this.#identification = { kind: "identified", path: this.path };
  }

  identify(_request?: Parameters<Identifier["identify"]>[0]): Identification {
    return this.#identification;
  }
}
