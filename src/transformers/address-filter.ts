// The filtering transformers' core: keep a bound name's addresses whose IP is in a set and prefix its id; none left is Neg.

import { type Activity, Addr, BoundName, type Path, Var } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { BoundNameTransformer } from "./bound-name-transformer.ts";
import { type IpSet, ipIn } from "./ip-set.ts";

/**
 * The Addr with only the addresses whose IP is in `keep` (address and Addr metadata kept). When none is left the
 * Addr is Neg, as Linkerd's `FilteringNameTreeTransformer` makes it, also for a Bound Addr that had none to
 * begin with. Neg, Failed and Pending pass through.
 */
export function filterAddr(addr: Addr, keep: IpSet): Addr {
  if (addr.kind !== "bound") return addr;
  const kept = addr.addrs.filter((a) => ipIn(keep, a.ip));
  return kept.length === 0 ? Addr.neg : Addr.bound(kept, addr.meta);
}

/**
 * A transformer named `kind` that rewrites every bound name to id `prefix` ++ id (residual kept) with only the
 * addresses whose IP is in `ips`. While `ips` is still Pending the Addr is Pending; if it Failed, so does the Addr.
 */
export function addressFilterTransformer(
  kind: string,
  prefix: Path,
  ips: Activity<IpSet>,
): NameTreeTransformer {
  return new BoundNameTransformer(kind, (b) => {
    const addr = ips.states.flatMap((s): Var<Addr> => {
      if (s.kind === "ok") return b.addr.map((a) => filterAddr(a, s.value));
      return Var.value(s.kind === "pending" ? Addr.pending : Addr.failed(s.error));
    });
    return new BoundName(prefix.concat(b.id), addr, b.residual);
  });
}
