// The per-request dtab carried in `l5d-ctx-dtab` and `l5d-dtab`: read on ingress, written for the next hop.

import { Dtab, NameSyntaxError, readDtab } from "../naming/index.ts";
import type { HeaderList } from "./header-list.ts";
import { checkedHeaderValue } from "./header-value.ts";
import { L5dHeader } from "./linkerd-header-names.ts";

/** A dtab header that does not parse: the request is answered 400 with this message. */
export class DtabHeaderError extends Error {
  readonly status = 400;
  /** `l5d-ctx-dtab` or `l5d-dtab`. */
  readonly header: string;
  /** The parser's message: what was expected, where. */
  readonly detail: string;

  constructor(header: string, detail: string) {
    super(`Invalid ${header} header: ${detail}`);
    this.name = "DtabHeaderError";
    this.header = header;
    this.detail = detail;
  }
}

function readHeaderDtab(headers: HeaderList, header: string): Dtab {
  const values = headers.getAll(header);
  let dtab = Dtab.empty;
  values.forEach((value, i) => {
    try {
      dtab = dtab.concat(readDtab(value));
    } catch (e) {
      if (!(e instanceof NameSyntaxError)) throw e;
      const which = values.length > 1 ? ` (line ${i + 1} of ${values.length})` : "";
      throw new DtabHeaderError(header, `${e.message}${which}`);
    }
  });
  return dtab;
}

/**
 * The request's local dtab: every `l5d-ctx-dtab` line, then every `l5d-dtab` line, in order, so the user's
 * `l5d-dtab` entries take precedence. `dtab-local` is ignored, as in Linkerd 1.7. Throws `DtabHeaderError`.
 */
export function readLocalDtab(headers: HeaderList): Dtab {
  const ctx = readHeaderDtab(headers, L5dHeader.ctxDtab);
  return ctx.concat(readHeaderDtab(headers, L5dHeader.dtab));
}

/** `readLocalDtab`, then removes both headers (Linkerd's server-side filter). Throws before changing anything. */
export function takeLocalDtab(headers: HeaderList): Dtab {
  if (!headers.has(L5dHeader.ctxDtab) && !headers.has(L5dHeader.dtab)) return Dtab.empty;
  const dtab = readLocalDtab(headers);
  headers.delete(L5dHeader.ctxDtab);
  headers.delete(L5dHeader.dtab);
  return dtab;
}

/**
 * Prepares an outgoing request: `l5d-dtab` is removed, and `l5d-ctx-dtab` becomes the local dtab in shown
 * form, or is removed when the local dtab is empty.
 */
export function writeLocalDtab(headers: HeaderList, local: Dtab): void {
  headers.delete(L5dHeader.dtab);
  headers.delete(L5dHeader.ctxDtab);
  if (!local.isEmpty) headers.set(L5dHeader.ctxDtab, checkedHeaderValue(L5dHeader.ctxDtab, local.show));
}
