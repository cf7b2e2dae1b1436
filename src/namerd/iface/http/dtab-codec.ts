// namerd's dtab media types: JSON (`[{"prefix":..,"dst":..}]`) and dtab text (`application/dtab`, `text/plain`).

import { Dentry, Dtab, NameSyntaxError, readDentry, readDtab, readNameTree } from "../../../naming/index.ts";

export const JSON_MEDIA_TYPE = "application/json";
export const DTAB_MEDIA_TYPE = "application/dtab";
export const TEXT_MEDIA_TYPE = "text/plain";

/** A dtab body that could not be read, with a message that says where. */
export class DtabBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DtabBodyError";
  }
}

export interface DtabCodec {
  readonly kind: "json" | "text";
  write(dtab: Dtab): string;
  /** Reads a body; throws DtabBodyError. */
  read(body: string): Dtab;
}

export const jsonCodec: DtabCodec = {
  kind: "json",
  write: (dtab) => JSON.stringify(dtab.toJSON()),
  read: readJsonDtab,
};

export const textCodec: DtabCodec = {
  kind: "text",
  write: (dtab) => dtab.show,
  read(body) {
    try {
      return readDtab(body);
    } catch (e) {
      if (e instanceof NameSyntaxError) throw new DtabBodyError(`invalid dtab: ${e.message}\n${e.excerpt}`);
      throw e;
    }
  },
};

/** The media type of a header value, lower-cased and without parameters (`application/json; charset=utf-8`). */
export function mediaTypeOf(value: string): string {
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

/** The codec of a request's Content-Type, or undefined when it is none of namerd's. */
export function codecForContentType(contentType: string | undefined): DtabCodec | undefined {
  if (contentType === undefined) return undefined;
  const mt = mediaTypeOf(contentType);
  if (mt === JSON_MEDIA_TYPE) return jsonCodec;
  if (mt === DTAB_MEDIA_TYPE || mt === TEXT_MEDIA_TYPE) return textCodec;
  return undefined;
}

/**
 * The response media type and codec for an Accept header, as namerd picks them: the first listed type it
 * knows (parameters and q-values ignored), else JSON.
 */
export function codecForAccept(accept: string | undefined): { mediaType: string; codec: DtabCodec } {
  for (const part of (accept ?? "").split(",")) {
    const mt = mediaTypeOf(part);
    if (mt === JSON_MEDIA_TYPE) return { mediaType: mt, codec: jsonCodec };
    if (mt === DTAB_MEDIA_TYPE || mt === TEXT_MEDIA_TYPE) return { mediaType: mt, codec: textCodec };
  }
  return { mediaType: JSON_MEDIA_TYPE, codec: jsonCodec };
}

function readJsonDtab(body: string): Dtab {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    throw new DtabBodyError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) {
    throw new DtabBodyError('invalid dentries: expected a JSON array of {"prefix":..,"dst":..}');
  }
  const dentries = data.map((d: unknown, i: number) => {
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      throw new DtabBodyError(
        `invalid dentries: entry ${i} is ${JSON.stringify(d)}, expected {"prefix":..,"dst":..}`,
      );
    }
    const { prefix, dst } = d as { prefix?: unknown; dst?: unknown };
    if (typeof prefix !== "string" || typeof dst !== "string") {
      throw new DtabBodyError(`invalid dentries: entry ${i} needs "prefix" and "dst" strings`);
    }
    try {
      // The prefix alone (a dentry to Neg), so that nothing in it can reach into the destination.
      const p = readDentry(`${prefix}=>~`).prefix;
      return new Dentry(p, readNameTree(dst));
    } catch (e) {
      if (e instanceof NameSyntaxError) {
        throw new DtabBodyError(`invalid dentries: entry ${i} (${JSON.stringify(d)}): ${e.message}`);
      }
      throw e;
    }
  });
  return new Dtab(dentries);
}
