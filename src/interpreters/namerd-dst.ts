// Where namerd is: the interpreter's `dst` path, bound through the proxy's own namers, as a list of addresses.

import {
  type Activity,
  type Address,
  type BoundName,
  type Closable,
  NameTree,
  type Path,
  Var,
} from "../naming/index.ts";

/** `dst` bound and watched for as long as the interpreter lives; its addresses, as they change. */
export class NamerdDst {
  readonly path: Path;
  #addresses: readonly Address[] = [];
  #problem: string | undefined = "not bound yet";
  readonly #sub: Closable;
  readonly #waiters = new Set<() => void>();

  constructor(path: Path, bind: (path: Path) => Activity<NameTree<BoundName>>) {
    this.path = path;
    const addrs = bind(path).states.flatMap((s): Var<{ addrs: Address[]; problem?: string }> => {
      if (s.kind === "pending") return Var.value({ addrs: [], problem: "binding" });
      if (s.kind === "failed") return Var.value({ addrs: [], problem: s.error.message });
      const leaves = NameTree.leaves(NameTree.simplify(s.value));
      if (leaves.length === 0) return Var.value({ addrs: [], problem: `${path.show} binds to no name` });
      return Var.collect(leaves.map((l) => l.addr)).map((all) => {
        const out: Address[] = [];
        let problem: string | undefined;
        for (const a of all) {
          if (a.kind === "bound") out.push(...a.addrs);
          else if (a.kind === "failed") problem = a.cause;
          else if (a.kind === "neg") problem ??= `${path.show} is neg`;
          else problem ??= "resolving";
        }
        return out.length > 0
          ? { addrs: out }
          : { addrs: out, problem: problem ?? `${path.show} has no addresses` };
      });
    });
    this.#sub = addrs.observe((v) => {
      this.#addresses = v.addrs;
      this.#problem = v.problem;
      if (v.addrs.length > 0) for (const w of [...this.#waiters]) w();
    });
  }

  get addresses(): readonly Address[] {
    return this.#addresses;
  }

  /** Why there are no addresses, when there are none. */
  get problem(): string | undefined {
    return this.#addresses.length > 0 ? undefined : this.#problem;
  }

  /** The addresses, waiting up to `timeoutMs` for some to appear. */
  async resolve(timeoutMs: number): Promise<readonly Address[]> {
    if (this.#addresses.length > 0) return this.#addresses;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#waiters.add(done);
    });
    if (this.#addresses.length === 0)
      throw new Error(`namerd at ${this.path.show}: ${this.problem ?? "no addresses"}`);
    return this.#addresses;
  }

  close(): void {
    this.#sub.close();
  }
}
