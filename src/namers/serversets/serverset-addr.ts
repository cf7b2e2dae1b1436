// The Addr of a serverset for one endpoint selection: its ALIVE members' endpoints, host names resolved; Neg when none.

import { Addr, type Address, type Closable, Var } from "../../naming/index.ts";
import { parseIpLiteral } from "../inet/ip-literal.ts";
import type { HostLookup } from "../inet/resolver.ts";
import { type Endpoint, type EndpointSelection, selectEndpoint } from "./serverset-member.ts";
import type { ServersetState, ServersetWatch } from "./serverset-watch.ts";

/** A watch held for as long as it is needed. */
export interface HeldWatch {
  readonly watch: ServersetWatch;
  release(): void;
}

/**
 * A Var of the addresses that `selection` picks in a serverset. The serverset is watched (`acquire`) while
 * the Var is observed. Pending until first read; Neg when the znode does not exist or no ALIVE member has the
 * endpoint; the addresses otherwise, each host:port once. Host names are looked up; the previous addresses
 * hold meanwhile.
 */
export function serversetAddr(
  acquire: () => HeldWatch,
  selection: EndpointSelection,
  lookup: HostLookup,
): Var<Addr> {
  const addr = Var.async<Addr>(Addr.pending, (set): Closable => {
    const held = acquire();
    let generation = 0;
    const sub = held.watch.state.observe((state) => {
      const mine = ++generation;
      const endpoints = endpointsOf(state, selection);
      if (!Array.isArray(endpoints)) {
        set(endpoints);
        return;
      }
      const ips = endpoints.map(literalOf);
      if (ips.every((ip) => ip !== undefined)) {
        set(boundOf(endpoints.map((e, i) => [ips[i] as string, e.port])));
        return;
      }
      void resolveAll(endpoints, lookup).then((a) => {
        if (mine === generation) set(a);
      });
    });
    return {
      close() {
        generation++;
        sub.close();
        held.release();
      },
    };
  });
  return addr.dedup(Addr.equals);
}

/** Each endpoint's host as an IP address when it is one, worked out once per endpoint read. */
const literals = new WeakMap<Endpoint, string | null>();

function literalOf(e: Endpoint): string | undefined {
  let ip = literals.get(e);
  if (ip === undefined) {
    ip = parseIpLiteral(e.host) ?? null;
    literals.set(e, ip);
  }
  return ip ?? undefined;
}

/** The endpoints picked, or the Addr to show when there are none to resolve. */
function endpointsOf(state: ServersetState, selection: EndpointSelection): Endpoint[] | Addr {
  switch (state.kind) {
    case "pending":
      return Addr.pending;
    case "absent":
      return Addr.neg;
    case "failed":
      return Addr.failed(state.error);
    case "present": {
      const picked: Endpoint[] = [];
      for (const m of state.members) {
        const e = selectEndpoint(m, selection);
        if (e !== undefined) picked.push(e);
      }
      return picked.length === 0 ? Addr.neg : picked;
    }
  }
}

function boundOf(pairs: readonly (readonly [string, number])[]): Addr {
  const seen = new Set<string>();
  const addrs: Address[] = [];
  for (const [ip, port] of pairs) {
    const key = `${ip}|${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    addrs.push(Addr.address(ip, port));
  }
  return Addr.bound(addrs);
}

/** Every endpoint's addresses; the hosts that cannot be looked up are left out, unless none can. */
async function resolveAll(endpoints: readonly Endpoint[], lookup: HostLookup): Promise<Addr> {
  const results = await Promise.allSettled(
    endpoints.map(async (e) => {
      const literal = parseIpLiteral(e.host);
      const ips = literal !== undefined ? [literal] : await lookup(e.host);
      return ips.map((ip) => [ip, e.port] as const);
    }),
  );
  const pairs = results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
  if (pairs.length === 0) {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) {
      const cause = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      return Addr.failed(`cannot look up the serverset's hosts: ${cause}`);
    }
    return Addr.neg;
  }
  return boundOf(pairs);
}
