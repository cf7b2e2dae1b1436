// Typed codecs built from an IDL's shapes: base types, lists, sets, maps, structs and unions over the binary protocol.

import { ThriftProtocolError, type ThriftReader, type ThriftWriter, TType } from "./protocol.ts";

/** How one IDL type is written and read. */
export interface Codec<T> {
  readonly type: TType;
  write(w: ThriftWriter, v: T): void;
  read(r: ThriftReader): T;
}

function expectType(got: number, want: TType, what: string): void {
  if (got !== want) throw new ThriftProtocolError(`${what}: expected type ${want}, got ${got}`);
}

export const bool: Codec<boolean> = { type: TType.BOOL, write: (w, v) => w.bool(v), read: (r) => r.bool() };
export const byte: Codec<number> = { type: TType.BYTE, write: (w, v) => w.byte(v), read: (r) => r.byte() };
export const i16: Codec<number> = { type: TType.I16, write: (w, v) => w.i16(v), read: (r) => r.i16() };
export const i32: Codec<number> = { type: TType.I32, write: (w, v) => w.i32(v), read: (r) => r.i32() };
export const i64: Codec<bigint> = { type: TType.I64, write: (w, v) => w.i64(v), read: (r) => r.i64() };
export const double: Codec<number> = {
  type: TType.DOUBLE,
  write: (w, v) => w.double(v),
  read: (r) => r.double(),
};
export const binary: Codec<Uint8Array> = {
  type: TType.STRING,
  write: (w, v) => w.binary(v),
  read: (r) => r.binary(),
};
export const string: Codec<string> = {
  type: TType.STRING,
  write: (w, v) => w.string(v),
  read: (r) => r.string(),
};

function sequence<T>(type: TType, elem: Codec<T>, what: string): Codec<readonly T[]> {
  return {
    type,
    write(w, v) {
      w.listBegin(elem.type, v.length);
      for (const x of v) elem.write(w, x);
    },
    read(r) {
      r.enter();
      const { elemType, size } = r.listBegin();
      if (size > 0) expectType(elemType, elem.type, `${what} element`);
      const out: T[] = [];
      for (let i = 0; i < size; i++) out.push(elem.read(r));
      r.leave();
      return out;
    },
  };
}

export function list<T>(elem: Codec<T>): Codec<readonly T[]> {
  return sequence(TType.LIST, elem, "list");
}

/** A set, kept as an array in wire order (duplicates are the sender's business). */
export function set<T>(elem: Codec<T>): Codec<readonly T[]> {
  return sequence(TType.SET, elem, "set");
}

export function map<K, V>(key: Codec<K>, value: Codec<V>): Codec<ReadonlyMap<K, V>> {
  return {
    type: TType.MAP,
    write(w, v) {
      w.mapBegin(key.type, value.type, v.size);
      for (const [k, x] of v) {
        key.write(w, k);
        value.write(w, x);
      }
    },
    read(r) {
      r.enter();
      const m = r.mapBegin();
      if (m.size > 0) {
        expectType(m.keyType, key.type, "map key");
        expectType(m.valueType, value.type, "map value");
      }
      const out = new Map<K, V>();
      for (let i = 0; i < m.size; i++) {
        const k = key.read(r);
        out.set(k, value.read(r));
      }
      r.leave();
      return out;
    },
  };
}

/** One field of a struct: its id, codec, and whether it may be absent. */
export interface Field<T, Optional extends boolean> {
  readonly id: number;
  readonly codec: Codec<T>;
  readonly optional: Optional;
  /** What a missing (non-optional) field reads as; without one, a missing field is an error. */
  readonly fallback?: () => T;
}

/** A field that is always written; when absent on the wire it reads as `fallback()` (else it is an error). */
export function field<T>(id: number, codec: Codec<T>, fallback?: () => T): Field<T, false> {
  return { id, codec, optional: false, fallback };
}

/** An `optional` field: written only when set, `undefined` when absent. */
export function optional<T>(id: number, codec: Codec<T>): Field<T, true> {
  return { id, codec, optional: true };
}

// biome-ignore lint/suspicious/noExplicitAny: a field of any type, for the mapped types below
type AnyField = Field<any, boolean>;
type Fields = Record<string, AnyField>;

type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K]["optional"] extends false ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K]["optional"] extends true ? K : never }[keyof F];
type FieldType<X> = X extends Field<infer T, boolean> ? T : never;

/** The value of a struct with fields `F`: required fields present, optional ones possibly absent. */
export type StructOf<F extends Fields> = { readonly [K in RequiredKeys<F>]: FieldType<F[K]> } & {
  readonly [K in OptionalKeys<F>]?: FieldType<F[K]>;
};

/** A struct (or exception): fields in any order on the wire, unknown ids and mismatched types skipped. */
export function struct<F extends Fields>(name: string, fields: F): Codec<StructOf<F>> {
  const entries = Object.entries(fields).sort((a, b) => a[1].id - b[1].id);
  const byId = new Map(entries.map(([k, f]) => [f.id, { key: k, f }]));
  return {
    type: TType.STRUCT,
    write(w, v) {
      const value = v as Record<string, unknown>;
      for (const [key, f] of entries) {
        const x = value[key];
        if (x === undefined) {
          if (f.optional) continue;
          throw new TypeError(`${name}.${key} is required`);
        }
        w.fieldBegin(f.codec.type, f.id);
        f.codec.write(w, x);
      }
      w.fieldStop();
    },
    read(r) {
      r.enter();
      const out: Record<string, unknown> = {};
      for (;;) {
        const { type, id } = r.fieldBegin();
        if (type === TType.STOP) break;
        const known = byId.get(id);
        if (known === undefined || known.f.codec.type !== type) r.skip(type);
        else out[known.key] = known.f.codec.read(r);
      }
      r.leave();
      for (const [key, f] of entries) {
        if (out[key] !== undefined || f.optional) continue;
        if (f.fallback === undefined)
          throw new ThriftProtocolError(`${name}: missing field ${key} (${f.id})`);
        out[key] = f.fallback();
      }
      return out as StructOf<F>;
    },
  };
}

/** The value of a union with variants `V`: exactly one of them, named by `kind`. */
export type UnionOf<V extends Record<string, Field<unknown, false>>> = {
  [K in keyof V & string]: { readonly kind: K; readonly value: FieldType<V[K]> };
}[keyof V & string];

/** A union: a struct with exactly one field set. */
export function union<V extends Record<string, Field<unknown, false>>>(
  name: string,
  variants: V,
): Codec<UnionOf<V>> {
  const byId = new Map(Object.entries(variants).map(([k, f]) => [f.id, { key: k, f }]));
  return {
    type: TType.STRUCT,
    write(w, v) {
      const f = variants[v.kind];
      if (f === undefined) throw new TypeError(`${name}: unknown variant ${String(v.kind)}`);
      w.fieldBegin(f.codec.type, f.id);
      f.codec.write(w, v.value);
      w.fieldStop();
    },
    read(r) {
      r.enter();
      let found: { kind: string; value: unknown } | undefined;
      for (;;) {
        const { type, id } = r.fieldBegin();
        if (type === TType.STOP) break;
        const known = byId.get(id);
        if (known === undefined || known.f.codec.type !== type) {
          r.skip(type);
          continue;
        }
        if (found !== undefined) throw new ThriftProtocolError(`${name}: more than one field set`);
        found = { kind: known.key, value: known.f.codec.read(r) };
      }
      r.leave();
      if (found === undefined) throw new ThriftProtocolError(`${name}: no field set`);
      return found as UnionOf<V>;
    },
  };
}
