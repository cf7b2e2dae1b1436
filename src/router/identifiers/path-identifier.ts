// `io.l5d.path`: the first segments of the request path as the name, optionally consumed from the target.

import { dropSegments, pathSegments } from "../../http/request-target.ts";
import { Path } from "../../naming/index.ts";
import type { Identification, Identifier } from "./identifier.ts";

export interface PathIdentifierOptions {
  /** How many leading path segments make the name; 1 by default. */
  readonly segments?: number;
  /** Remove those segments from the forwarded target; false by default. */
  readonly consume?: boolean;
}

export const PATH_KIND = "io.l5d.path";

/**
 * Names a request `dstPrefix ++ /<seg1>/…/<segN>` from its path (raw segments, not percent-decoded; empty ones
 * from `//` skipped). With `consume`, the forwarded target loses those segments but keeps the rest of the path,
 * a trailing slash and the query (`/a/b/c/?x=1` with 2 segments → `/c/?x=1`; nothing left → `/`). A path with
 * fewer segments is unidentified.
 */
export class PathIdentifier implements Identifier {
  readonly segments: number;
  readonly consume: boolean;
  readonly dstPrefix: Path;

  constructor(options: PathIdentifierOptions, dstPrefix: Path) {
    const segments = options.segments ?? 1;
    if (!Number.isSafeInteger(segments) || segments < 1) {
      throw new RangeError(`${PATH_KIND}: segments must be a positive integer, not ${segments}`);
    }
    this.segments = segments;
    this.consume = options.consume ?? false;
    this.dstPrefix = dstPrefix;
  }

  identify(request: Parameters<Identifier["identify"]>[0]): Identification {
    const all = pathSegments(request.target);
    if (all.length < this.segments) return { kind: "unidentified", reason: "not enough segments in path" };
    const path = this.dstPrefix.concat(Path.utf8(...all.slice(0, this.segments)));
    if (!this.consume) return { kind: "identified", path };
    return { kind: "identified", path, target: dropSegments(request.target, this.segments) as string };
  }
}
