// What an identifier is: a function from a request to the logical name it is for (or why it has none).

import type { ProxyRequest } from "../../http/message.ts";
import type { Path } from "../../naming/index.ts";

export type Identification =
  | {
      readonly kind: "identified";
      /** The logical name, `dstPrefix` included: `/svc/pong`. */
      readonly path: Path;
      /** A new request target when the identifier consumes part of it (`io.l5d.path` with `consume`). */
      readonly target?: string;
    }
  | { readonly kind: "unidentified"; readonly reason: string };

export interface Identifier {
  identify(request: Pick<ProxyRequest, "method" | "target" | "version" | "headers">): Identification;
}

/** Tries each identifier in turn; the first that identifies the request wins. */
export function firstOf(identifiers: readonly Identifier[]): Identifier {
  if (identifiers.length === 1) return identifiers[0] as Identifier;
  return {
    identify(request) {
      const reasons: string[] = [];
      for (const id of identifiers) {
        const result = id.identify(request);
        if (result.kind === "identified") return result;
        reasons.push(result.reason);
      }
      return { kind: "unidentified", reason: reasons.join("; ") };
    },
  };
}

/** The trimmed first value of `header`, or the unidentification that its absence or emptiness means. */
export function headerValue(
  request: Pick<ProxyRequest, "headers">,
  header: string,
): { kind: "value"; value: string } | Identification {
  const value = request.headers.get(header)?.trim();
  if (value === undefined) return { kind: "unidentified", reason: `${header} header is absent` };
  if (value === "") return { kind: "unidentified", reason: `${header} header is empty` };
  return { kind: "value", value };
}
