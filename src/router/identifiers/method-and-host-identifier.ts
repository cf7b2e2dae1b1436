// `io.l5d.methodAndHost`: the HTTP version, the method and (for HTTP/1.1) the lower-cased Host, as path labels.

import { pathSegments } from "../../http/request-target.ts";
import { Path } from "../../naming/index.ts";
import type { Identification, Identifier } from "./identifier.ts";

export interface MethodAndHostOptions {
  /** Append the target's path segments to the name; false by default. */
  readonly httpUriInDst?: boolean;
}

export const METHOD_AND_HOST_KIND = "io.l5d.methodAndHost";

/**
 * HTTP/1.1: `dstPrefix ++ /1.1/<METHOD>/<host>[/<path segments>]`, the host being the Host header lower-cased
 * with its port kept (`Host: Web:8080` → `/svc/1.1/GET/web:8080`), as Linkerd. HTTP/1.0:
 * `dstPrefix ++ /1.0/<METHOD>[/<path segments>]`, Host ignored. An HTTP/1.1 request without a Host (or with an
 * empty one) is unidentified. Path segments are raw (not percent-decoded); empty ones (`//`) are skipped.
 */
export class MethodAndHostIdentifier implements Identifier {
  readonly httpUriInDst: boolean;
  readonly dstPrefix: Path;

  constructor(options: MethodAndHostOptions, dstPrefix: Path) {
    this.httpUriInDst = options.httpUriInDst ?? false;
    this.dstPrefix = dstPrefix;
  }

  identify(request: Parameters<Identifier["identify"]>[0]): Identification {
    const suffix = this.httpUriInDst ? pathSegments(request.target) : [];
    if (request.version === "1.0") {
      return { kind: "identified", path: this.dstPrefix.concat(Path.utf8("1.0", request.method, ...suffix)) };
    }
    const host = request.headers.get("host")?.trim();
    if (host === undefined || host === "") {
      return { kind: "unidentified", reason: "HTTP/1.1 request missing hostname" };
    }
    return {
      kind: "identified",
      path: this.dstPrefix.concat(Path.utf8("1.1", request.method, host.toLowerCase(), ...suffix)),
    };
  }
}
