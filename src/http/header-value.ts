// Checks on header values the proxy writes itself, so nothing it generates can split or smuggle a header.

/**
 * Visible ASCII with single inner spaces allowed, nothing at either end that is whitespace: what every value
 * Trellis writes (paths and dtabs in shown form, `Via`, URL-encoded errors, authorities) looks like. The empty
 * value is allowed (HTTP/1.1 requires an empty `Host:` when there is no host).
 */
const SAFE_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

export function isSafeHeaderValue(value: string): boolean {
  return SAFE_VALUE.test(value);
}

/** A value the proxy was about to write that is not a safe header value: a bug, never the client's fault. */
export class HeaderValueError extends Error {
  readonly header: string;
  readonly value: string;

  constructor(header: string, value: string) {
    super(`refusing to write an invalid ${header} header value: ${JSON.stringify(value.slice(0, 200))}`);
    this.name = "HeaderValueError";
    this.header = header;
    this.value = value;
  }
}

/** The value itself when it is safe to write; throws `HeaderValueError` otherwise. */
export function checkedHeaderValue(header: string, value: string): string {
  if (!isSafeHeaderValue(value)) throw new HeaderValueError(header, value);
  return value;
}

/** A header name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}
