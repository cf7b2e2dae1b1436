// Resolves a host and port to a changing Addr: literals at once, names through DNS, re-resolved on an interval.

import { lookup as dnsLookup } from "node:dns/promises";
import { Addr, type Timers, Var } from "../../naming/index.ts";
import { parseIpLiteral } from "./ip-literal.ts";

/** Resolves a host name to IP address texts; throws with a `code` (e.g. ENOTFOUND) when it cannot. */
export type HostLookup = (host: string) => Promise<string[]>;

export const systemLookup: HostLookup = async (host) => {
  const found = await dnsLookup(host, { all: true, order: "ipv4first" });
  return found.map((a) => a.address);
};

/** How often a host name is looked up again, as Finagle's inet resolver does. */
export const DEFAULT_REFRESH_MS = 5000;

export interface ResolverOptions {
  readonly lookup?: HostLookup;
  readonly timers?: Timers;
  readonly refreshMs?: number;
}

const NOT_FOUND = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME", "EAI_NODATA"]);

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && NOT_FOUND.has(String((e as { code?: unknown }).code));
}

const realTimers: Timers = {
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * The Addr of `host:port`. An IP literal is bound at once and never changes. A name is Pending until the first
 * lookup answers: Bound with every address found, Neg if the name does not exist, Failed on other errors.
 * With `refresh`, it is looked up again every `refreshMs` while observed; a failed refresh keeps the last good
 * answer. Lookups stop when nobody observes the Var.
 */
export function resolveHostPort(
  host: string,
  port: number,
  refresh: boolean,
  options: ResolverOptions = {},
): Var<Addr> {
  const literal = parseIpLiteral(host);
  if (literal !== undefined) return Var.value(Addr.bound([Addr.address(literal, port)]));
  const lookup = options.lookup ?? systemLookup;
  const timers = options.timers ?? realTimers;
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  return Var.async<Addr>(Addr.pending, (set) => {
    let stopped = false;
    let timer: unknown;
    let good = false;
    let last: Addr = Addr.pending;
    const publish = (next: Addr) => {
      if (Addr.equals(next, last)) return;
      last = next;
      set(next);
    };
    const run = async () => {
      try {
        const ips = await lookup(host);
        if (stopped) return;
        good = true;
        const unique = [...new Set(ips)].sort();
        publish(Addr.bound(unique.map((ip) => Addr.address(ip, port))));
      } catch (e) {
        if (stopped) return;
        if (!good)
          publish(isNotFound(e) ? Addr.neg : Addr.failed(`cannot resolve ${host}: ${(e as Error).message}`));
      }
      if (refresh && !stopped) timer = timers.setTimeout(() => void run(), refreshMs);
    };
    void run();
    return {
      close() {
        stopped = true;
        if (timer !== undefined) timers.clearTimeout(timer);
      },
    };
  });
}
