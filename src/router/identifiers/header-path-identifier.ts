// `io.l5d.header`: a header (`l5d-name` unless configured) whose value is a path in shown form, under dstPrefix.

import { isHeaderName } from "../../http/header-value.ts";
import { NameSyntaxError, type Path, readPath } from "../../naming/index.ts";
import { headerValue, type Identification, type Identifier } from "./identifier.ts";

export interface HeaderPathOptions {
  /** The header to read; `l5d-name` by default. */
  readonly header?: string;
}

export const HEADER_PATH_KIND = "io.l5d.header";

/**
 * Names a request `dstPrefix ++ <value>`, the first value of the header parsed as a path (`/a/b`, labels with
 * `\xNN` escapes; `/` is the empty path, giving `dstPrefix` itself, as in Linkerd). A missing or empty header,
 * or one that is not a path, leaves the request unidentified.
 */
export class HeaderPathIdentifier implements Identifier {
  readonly header: string;
  readonly dstPrefix: Path;

  constructor(options: HeaderPathOptions, dstPrefix: Path) {
    const header = options.header ?? "l5d-name";
    if (!isHeaderName(header))
      throw new RangeError(`${HEADER_PATH_KIND}: invalid header name ${JSON.stringify(header)}`);
    this.header = header;
    this.dstPrefix = dstPrefix;
  }

  identify(request: Parameters<Identifier["identify"]>[0]): Identification {
    const found = headerValue(request, this.header);
    if (found.kind !== "value") return found;
    const value = found.value;
    let path: Path;
    try {
      path = readPath(value);
    } catch (e) {
      if (!(e instanceof NameSyntaxError)) throw e;
      return { kind: "unidentified", reason: `${this.header} header is not a path: ${e.message}` };
    }
    return { kind: "identified", path: this.dstPrefix.concat(path) };
  }
}
