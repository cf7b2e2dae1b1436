// The errors a router answers itself, each with its HTTP status: Linkerd's ErrorResponder table, in one place.

import type { Dtab } from "../naming/index.ts";

/** An error the proxy answers on its own, marked with `l5d-err`. */
export class RouterError extends Error {
  readonly status: number;
  /** Whether the request is known not to have reached any upstream, so a client may safely retry it. */
  readonly retryable: boolean;

  constructor(status: number, message: string, retryable = false) {
    super(message);
    this.name = "RouterError";
    this.status = status;
    this.retryable = retryable;
  }
}

/** 400: no identifier could name the request. */
export function unidentified(reason: string): RouterError {
  return new RouterError(400, `Unknown destination: Request not recognized: ${reason}`);
}

/** 400: a malformed request the proxy will not forward (bad `l5d-dtab`, too many hops, bad headers). */
export function badRequest(message: string): RouterError {
  return new RouterError(400, message);
}

/** 502: the name bound to nothing that can take requests (Neg, Fail, Empty, no addresses). */
export function noBrokers(name: string, base: Dtab, local: Dtab, why: string): RouterError {
  return new RouterError(
    502,
    `No hosts are available for ${name}, Dtab.base=[${base.show}], Dtab.local=[${local.show}]. ${why}`,
    true,
  );
}

/** 502: the upstream could not be reached or broke before answering. */
export function upstreamFailed(target: string, why: string, retryable: boolean): RouterError {
  return new RouterError(502, `${why}. Remote Info: Upstream Address: ${target}`, retryable);
}

/** 503: binding did not finish within `bindingTimeoutMs`. */
export function bindingTimeout(name: string, ms: number): RouterError {
  return new RouterError(503, `exceeded ${ms}.milliseconds to bind ${name} while dyn binding`, true);
}

/** 503: the request took longer than the router allows. */
export function totalTimeout(ms: number): RouterError {
  return new RouterError(503, `exceeded ${ms}.milliseconds to complete the request`);
}

/** 503: the server is at `maxConcurrentRequests`. */
export function overloaded(limit: number): RouterError {
  return new RouterError(503, `too many concurrent requests (maxConcurrentRequests ${limit})`, true);
}
