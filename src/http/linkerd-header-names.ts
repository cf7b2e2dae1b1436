// The names of Linkerd's `l5d-*` headers (and the few others Linkerd reads or writes), in lower case.

/** Every Linkerd header starts with this. */
export const L5D_PREFIX = "l5d-";

/** Context headers, read on ingress and written again on egress. */
export const L5D_CTX_PREFIX = "l5d-ctx-";

export const L5dHeader = Object.freeze({
  /** `<timestampNanos> <deadlineNanos>`: the request deadline, advisory. */
  ctxDeadline: "l5d-ctx-deadline",
  /** The local dtab in shown form, written by each router for the next. */
  ctxDtab: "l5d-ctx-dtab",
  /** Base64 trace context (span, parent, trace ids and flags). */
  ctxTrace: "l5d-ctx-trace",
  /** A user's dtab override, read on ingress and never forwarded (folded into `l5d-ctx-dtab`). */
  dtab: "l5d-dtab",
  /** A trace sample-rate override in [0, 1]. */
  sample: "l5d-sample",
  /** The root trace id, for log correlation. */
  reqId: "l5d-reqid",
  /** The logical name the request was identified as: `/svc/web`. */
  dstService: "l5d-dst-service",
  /** The bound client id the request was sent to: `/#/io.l5d.fs/web`. */
  dstClient: "l5d-dst-client",
  /** The residual path after binding, only when not empty. */
  dstResidual: "l5d-dst-residual",
  /** On a response: the router answered itself; the value is the URL-encoded message. */
  err: "l5d-err",
  /** On a response: `true` when the request is known safe to retry. */
  retryable: "l5d-retryable",
  /** On a response: the success fraction the service classifier assigned. */
  successClass: "l5d-success-class",
} as const);

/** Finagle's deprecated dtab header: ignored on ingress, dropped by `clearContext`. */
export const DTAB_LOCAL = "dtab-local";

export const VIA = "via";

export function isLinkerdHeader(name: string): boolean {
  return name.length >= L5D_PREFIX.length && name.slice(0, L5D_PREFIX.length).toLowerCase() === L5D_PREFIX;
}
