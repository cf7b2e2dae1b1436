// Linkerd's request and response headers in one place: names, clearContext, dtabs, Via, l5d-dst-*, l5d-err.

export { type ClearedResponse, clearRequestContext, clearResponseContext } from "./clear-context.ts";
export { setDstBound, setDstService } from "./dst-headers.ts";
export { DtabHeaderError, readLocalDtab, takeLocalDtab, writeLocalDtab } from "./dtab-headers.ts";
export { DEFAULT_ERR_HEADER_MAX, decodeErrHeader, encodeErrHeader } from "./err-header.ts";
export {
  DTAB_LOCAL,
  isLinkerdHeader,
  L5D_CTX_PREFIX,
  L5D_PREFIX,
  L5dHeader,
  VIA,
} from "./linkerd-header-names.ts";
export {
  appendVia,
  type CallDepthCheck,
  callDepth,
  checkCallDepth,
  VIA_PSEUDONYM,
  viaEntry,
} from "./via.ts";
