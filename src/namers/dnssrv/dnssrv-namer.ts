// The io.l5d.dnssrv namer: `/<srv record name>[/residual]` bound to the record's targets, asked again every refresh interval.

import {
  Activity,
  Addr,
  type Address,
  BoundName,
  type Closable,
  type Name,
  type Namer,
  NameTree,
  type Path,
  State,
  type Timers,
  unrefTimers,
  Var,
} from "../../naming/index.ts";
import type { DnsClient } from "./dns-client.ts";

/** Where the namer counts its lookups (Linkerd's `lookup_successes_total` and the others); optional. */
export interface DnsSrvMetrics {
  counter(name: string): { incr(): void };
  stat(name: string): { add(value: number): void };
}

export interface DnsSrvNamerOptions {
  readonly client: DnsClient;
  /** How long after one answer the record is asked for again (Linkerd's refreshIntervalSeconds, default 5 s). */
  readonly refreshMs?: number;
  readonly timers?: Timers;
  readonly now?: () => number;
  readonly metrics?: DnsSrvMetrics;
}

/** What the last question about a record gave. */
type Answer =
  | { readonly kind: "pending" }
  | { readonly kind: "neg"; readonly why: string }
  | { readonly kind: "bound"; readonly addr: Addr }
  | { readonly kind: "failed"; readonly error: string };

const PENDING: Answer = Object.freeze({ kind: "pending" });

/** A record being asked about, for `/namer_state`. */
interface Poll {
  answer: Answer;
  lastError: string | undefined;
  updated: number | undefined;
}

/** node:dns codes that mean "no such name" (NXDOMAIN) and "no SRV records" (NOERROR, empty): both Neg. */
const NO_ANSWER = new Set(["ENOTFOUND", "ENODATA"]);

/**
 * Linkerd's DnsSrvNamer. The first label is an SRV record name (`_http._tcp.pong.example.com`), the id is
 * `/#/<prefix>/<name>` and the rest the residual. While a binding uses it, the record is asked for at once and
 * then `refreshMs` after each answer. NXDOMAIN, or a record with no targets, is Neg; the targets are the
 * addresses (each target's A and AAAA addresses, with the record's port). A failed question (a timeout,
 * SERVFAIL) makes the name Failed if nothing was known yet, and otherwise keeps the last answer.
 */
export class DnsSrvNamer implements Namer {
  readonly idPrefix: Path;
  readonly #client: DnsClient;
  readonly #refreshMs: number;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #metrics: DnsSrvMetrics | undefined;
  /** The shared answer of each record asked about while it is in use. */
  readonly #answers = new Map<string, Var<Answer>>();
  readonly #polls = new Map<string, Poll>();

  constructor(idPrefix: Path, options: DnsSrvNamerOptions) {
    this.idPrefix = idPrefix;
    this.#client = options.client;
    this.#refreshMs = options.refreshMs ?? 5000;
    this.#timers = options.timers ?? unrefTimers;
    this.#now = options.now ?? Date.now;
    this.#metrics = options.metrics;
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    if (path.isEmpty) return Activity.value(NameTree.neg);
    const record = path.utf8Elems[0] as string;
    const answer = this.#answerOf(record);
    const addr = answer.map((a) => (a.kind === "bound" ? a.addr : Addr.pending)).dedup(Addr.equals);
    const leaf = NameTree.leaf<Name>(new BoundName(this.idPrefix.concat(path.take(1)), addr, path.drop(1)));
    const states = answer
      .dedup((a, b) => a.kind === b.kind && (a.kind !== "failed" || a.error === (b as typeof a).error))
      .map((a): State<NameTree<Name>> => {
        switch (a.kind) {
          case "pending":
            return State.pending;
          case "neg":
            return State.ok(NameTree.neg);
          case "bound":
            return State.ok(leaf);
          default:
            return State.failed(new Error(a.error));
        }
      });
    return new Activity(states);
  }

  /** Each record being asked about: its last answer, last error, and when it was last answered. */
  state(): Record<string, unknown> {
    const records: Record<string, unknown> = {};
    for (const name of [...this.#polls.keys()].sort()) {
      const p = this.#polls.get(name) as Poll;
      const a = p.answer;
      records[name] = {
        state: a.kind,
        ...(a.kind === "bound" ? Addr.toJSON(a.addr) : {}),
        ...(a.kind === "neg" ? { why: a.why } : {}),
        ...(a.kind === "failed" ? { error: a.error } : {}),
        ...(p.lastError !== undefined ? { lastError: p.lastError } : {}),
        ...(p.updated !== undefined ? { updated: new Date(p.updated).toISOString() } : {}),
      };
    }
    return { refreshIntervalMs: this.#refreshMs, records };
  }

  #answerOf(record: string): Var<Answer> {
    const known = this.#answers.get(record);
    if (known !== undefined) return known;
    const answer: Var<Answer> = Var.async<Answer>(PENDING, (set) => {
      this.#answers.set(record, answer);
      const poll: Poll = { answer: PENDING, lastError: undefined, updated: undefined };
      this.#polls.set(record, poll);
      const feed = this.#poll(record, poll, set);
      return {
        close: () => {
          feed.close();
          if (this.#polls.get(record) === poll) this.#polls.delete(record);
          if (this.#answers.get(record) === answer) this.#answers.delete(record);
        },
      };
    });
    this.#answers.set(record, answer);
    return answer;
  }

  /** Asks for `record` now and again `refreshMs` after each answer, until closed. */
  #poll(record: string, poll: Poll, set: (a: Answer) => void): Closable {
    let stopped = false;
    let timer: unknown;
    const round = async () => {
      const started = performance.now();
      let next: Answer | undefined;
      try {
        next = await this.#ask(record);
      } catch (e) {
        if (stopped) return;
        this.#metrics?.counter("lookup_failures_total").incr();
        poll.lastError = e instanceof Error ? e.message : String(e);
        // Nothing known yet: say why; otherwise the last answer stays.
        if (poll.answer.kind === "pending") next = { kind: "failed", error: poll.lastError };
      } finally {
        this.#metrics?.stat("request_duration_ms").add(performance.now() - started);
      }
      if (stopped) return;
      if (next !== undefined) {
        poll.answer = next;
        poll.updated = this.#now();
        set(next);
      }
      timer = this.#timers.setTimeout(() => void round(), this.#refreshMs);
    };
    void round();
    return {
      close: () => {
        stopped = true;
        this.#timers.clearTimeout(timer);
      },
    };
  }

  /** One question: Neg, the bound addresses, or a rejection for a failure. */
  async #ask(record: string): Promise<Answer> {
    let targets: Awaited<ReturnType<DnsClient["resolveSrv"]>>;
    try {
      targets = await this.#client.resolveSrv(record);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code !== "string" || !NO_ANSWER.has(code)) throw e;
      // Linkerd counts NXDOMAIN as a failure and an empty answer as zero results; both are Neg.
      if (code === "ENOTFOUND") this.#metrics?.counter("lookup_failures_total").incr();
      else this.#metrics?.counter("lookup_zero_results_total").incr();
      return { kind: "neg", why: code === "ENOTFOUND" ? "no such name (NXDOMAIN)" : "no SRV records" };
    }
    if (targets.length === 0) {
      this.#metrics?.counter("lookup_zero_results_total").incr();
      return { kind: "neg", why: "no SRV records" };
    }
    const resolved = await Promise.allSettled(
      targets.map(async (t) => (await this.#client.resolveTarget(t.name)).map((ip) => [ip, t.port] as const)),
    );
    const addrs: Address[] = [];
    const seen = new Set<string>();
    for (const r of resolved) {
      if (r.status !== "fulfilled") continue;
      for (const [ip, port] of r.value) {
        const key = `${ip}|${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        addrs.push(Addr.address(ip, port));
      }
    }
    if (addrs.length === 0) {
      const failed = resolved.find((r): r is PromiseRejectedResult => r.status === "rejected");
      const cause = failed?.reason instanceof Error ? failed.reason.message : String(failed?.reason);
      throw new Error(`${record}: none of its SRV targets has an address: ${cause}`);
    }
    this.#metrics?.counter("lookup_successes_total").incr();
    return { kind: "bound", addr: Addr.bound(addrs) };
  }
}
