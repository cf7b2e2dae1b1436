// Addr: what a bound name resolves to (Bound addresses with metadata, Neg, Failed, Pending) and its JSON shape.

/** Metadata keys and values carried on an address or a whole Addr (`endpoint_addr_weight`, `authority`, ...). */
export type Meta = Readonly<Record<string, unknown>>;

/** One endpoint: an IP address (v4 or v6 text) and a port, with metadata. */
export interface Address {
  readonly ip: string;
  readonly port: number;
  readonly meta: Meta;
}

export type Addr =
  | { readonly kind: "bound"; readonly addrs: readonly Address[]; readonly meta: Meta }
  | { readonly kind: "neg" }
  | { readonly kind: "failed"; readonly cause: string }
  | { readonly kind: "pending" };

/** The metadata key under which a Union branch's weight is carried on each of its addresses. */
export const WEIGHT_META_KEY = "endpoint_addr_weight";

const EMPTY_META: Meta = Object.freeze({});

export const Addr = {
  neg: Object.freeze({ kind: "neg" }) as Addr,
  pending: Object.freeze({ kind: "pending" }) as Addr,

  bound(addrs: readonly Address[], meta: Meta = EMPTY_META): Addr {
    return { kind: "bound", addrs, meta };
  },

  failed(cause: string | Error): Addr {
    return { kind: "failed", cause: typeof cause === "string" ? cause : cause.message };
  },

  address(ip: string, port: number, meta: Meta = EMPTY_META): Address {
    return { ip, port, meta };
  },

  /** The weight of an address (1 when none is set). */
  weightOf(address: Address): number {
    const w = address.meta[WEIGHT_META_KEY];
    return typeof w === "number" && Number.isFinite(w) && w >= 0 ? w : 1;
  },

  equals(a: Addr, b: Addr): boolean {
    if (a === b) return true;
    if (a.kind !== b.kind) return false;
    if (a.kind === "failed") return a.cause === (b as typeof a).cause;
    if (a.kind !== "bound") return true;
    const bb = b as typeof a;
    if (a.addrs.length !== bb.addrs.length || !metaEquals(a.meta, bb.meta)) return false;
    const key = (x: Address) => `${x.ip}|${x.port}|${JSON.stringify(x.meta)}`;
    const left = a.addrs.map(key).sort();
    const right = bb.addrs.map(key).sort();
    return left.every((k, i) => k === right[i]);
  },

  /** Linkerd's JSON: `{"type":"bound","addrs":[{"ip","port","meta"}],"meta":{}}`, `{"type":"neg"}`, ... */
  toJSON(addr: Addr): Record<string, unknown> {
    switch (addr.kind) {
      case "bound":
        return {
          type: "bound",
          addrs: addr.addrs.map((a) => ({ ip: a.ip, port: a.port, meta: { ...a.meta } })),
          meta: { ...addr.meta },
        };
      case "failed":
        return { type: "failed", cause: addr.cause };
      default:
        return { type: addr.kind };
    }
  },

  /** A short human form: `127.0.0.1:8080, 10.0.0.2:80`, `neg`, `failed: cause`, `pending`. */
  describe(addr: Addr): string {
    switch (addr.kind) {
      case "bound":
        return addr.addrs.length === 0
          ? "bound, no addresses"
          : addr.addrs
              .map((a) => (a.ip.includes(":") ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`))
              .join(", ");
      case "failed":
        return `failed: ${addr.cause}`;
      default:
        return addr.kind;
    }
  },
};

function metaEquals(a: Meta, b: Meta): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
