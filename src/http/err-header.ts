// The `l5d-err` value: the router's error message URL-encoded exactly as Linkerd's (Java URLEncoder, ISO-8859-1).

/** Linkerd cuts the value at the server's maximum header size; 8 KiB is `maxHeadersKB`'s default. */
export const DEFAULT_ERR_HEADER_MAX = 8 * 1024;

const KEPT = /^[A-Za-z0-9.\-*_]$/;

/**
 * Encodes `message` as Java's `URLEncoder.encode(message, "ISO-8859-1")`: letters, digits and `.-*_` stay,
 * space becomes `+`, every other character below U+0100 becomes `%XX` of its byte, and any other character
 * (which ISO-8859-1 cannot hold) becomes `%3F`, Java's `?`. The result is cut to `max` characters, never inside
 * an escape.
 */
export function encodeErrHeader(message: string, max = DEFAULT_ERR_HEADER_MAX): string {
  let out = "";
  for (const ch of message) {
    let piece: string;
    if (KEPT.test(ch)) piece = ch;
    else if (ch === " ") piece = "+";
    else {
      const code = ch.codePointAt(0) as number;
      const byte = code <= 0xff ? code : 0x3f;
      piece = `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}

/** The inverse, for reading an `l5d-err` from an upstream router: `+` is a space, `%XX` a byte (ISO-8859-1). */
export function decodeErrHeader(value: string): string {
  return value.replace(/\+|%([0-9A-Fa-f]{2})/g, (m, hex: string | undefined) =>
    m === "+" ? " " : String.fromCharCode(Number.parseInt(hex as string, 16)),
  );
}
