// `io.l5d.header.token` (the default): the raw value of one header, Host unless configured, as one path label.

import { isHeaderName } from "../../http/header-value.ts";
import { Path } from "../../naming/index.ts";
import { headerValue, type Identification, type Identifier } from "./identifier.ts";

export interface HeaderTokenOptions {
  /** The header to read; `Host` by default. */
  readonly header?: string;
}

export const HEADER_TOKEN_KIND = "io.l5d.header.token";

const RECENT_MAX = 1000;

/**
 * Names a request `dstPrefix ++ /<value>`: the first value of the header, as received (case kept, a port kept,
 * `Host: web:8080` → `/svc/web:8080`), one label however many `/` or `.` it holds. Bytes that are not showable
 * show as `\xNN`. A missing or empty header leaves the request unidentified.
 */
export class HeaderTokenIdentifier implements Identifier {
  readonly header: string;
  readonly dstPrefix: Path;
  /** The identification of recently seen header values (at most RECENT_MAX; all forgotten when full). */
  readonly #recent = new Map<string, Identification>();

  constructor(options: HeaderTokenOptions, dstPrefix: Path) {
    const header = options.header ?? "Host";
    if (!isHeaderName(header))
      throw new RangeError(`${HEADER_TOKEN_KIND}: invalid header name ${JSON.stringify(header)}`);
    this.header = header;
    this.dstPrefix = dstPrefix;
  }

  identify(request: Parameters<Identifier["identify"]>[0]): Identification {
    const found = headerValue(request, this.header);
    if (found.kind !== "value") return found;
    const value = found.value;
    let id = this.#recent.get(value);
    if (id === undefined) {
      // Most traffic goes to a few names: their paths are made once (and shown once) rather than per request.
      if (this.#recent.size >= RECENT_MAX) this.#recent.clear();
      id = { kind: "identified", path: this.dstPrefix.concat(Path.utf8(value)) };
      this.#recent.set(value, id);
    }
    return id;
  }
}
