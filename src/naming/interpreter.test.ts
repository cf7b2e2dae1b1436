// Binding and delegation through ConfiguredNamersInterpreter, with fake namers. Cases follow Finagle's NamerTest,
// DtabTest and NameTreeTest, Linkerd's DelegateTreeTest, DelegatorTest and DelegateApiHandlerTest, and the
// Linkerd 1 reference (sections 2.2 to 2.4 and 11.2).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Activity, State } from "./activity.ts";
import { Addr, WEIGHT_META_KEY } from "./addr.ts";
import { MAX_DEPTH, RecursionLimitError } from "./bind.ts";
import { delegateTreeToJson, type Json, resolveAddrs } from "./delegate-json.ts";
import { DelegateTree } from "./delegate-tree.ts";
import { ConfiguredNamersInterpreter, type MountedNamer } from "./interpreter.ts";
import { BoundName, type Name, type Namer } from "./name.ts";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { readDentry, readDtab, readNameTree, readPath } from "./syntax.ts";
import { Cell, Var } from "./var.ts";

// ---------------------------------------------------------------------------------------------------------------
// Fakes

/** A fixed address set, as a namer would publish it. */
function addrOf(ip: string, ...ports: number[]): Var<Addr> {
  return Var.value(Addr.bound(ports.map((port) => Addr.address(ip, port))));
}

/**
 * A stand-in for Finagle's global namer: `/$/inet/<host>/<port>[/residual]` (the host `127.1` read as
 * 127.0.0.1, as the resolver would), `/$/nil[/...]` is Empty, `/$/fail[/...]` is Fail, other `/$/` kinds fail,
 * and anything else is Neg.
 */
const fakeGlobal: Namer = {
  lookup(path: Path) {
    const [dollar, kind, host, port] = path.elems;
    if (dollar !== "$" || kind === undefined) return Activity.value(NameTree.neg);
    switch (kind) {
      case "nil":
        return Activity.value(NameTree.empty);
      case "fail":
        return Activity.value(NameTree.fail);
      case "inet": {
        if (host === undefined || port === undefined) return Activity.exception(new Error("bad inet path"));
        const ip = host === "127.1" ? "127.0.0.1" : host;
        return Activity.value(
          NameTree.leaf(new BoundName(path.take(4), addrOf(ip, Number(port)), path.drop(4))),
        );
      }
      default:
        return Activity.exception(new Error(`Unknown namer: ${kind} for path: ${path.show}`));
    }
  },
};

/**
 * A file-based namer like io.l5d.fs, mounted at `/#/io.l5d.fs`: the first label names a file; the id is that
 * file and the rest of the path is residual. A missing file is Neg. Files' addresses may be changed.
 */
class FakeFsNamer implements Namer {
  readonly files = new Map<string, Cell<Addr>>();
  readonly lookups: string[] = [];

  constructor(files: Record<string, Addr>) {
    for (const [name, addr] of Object.entries(files)) this.files.set(name, new Cell(addr));
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    this.lookups.push(path.show);
    const [file] = path.elems;
    const addr = file === undefined ? undefined : this.files.get(file);
    if (file === undefined || addr === undefined) return Activity.value(NameTree.neg);
    return Activity.value(NameTree.leaf(new BoundName(Path.of("#", "io.l5d.fs", file), addr, path.drop(1))));
  }
}

/** A namer whose answer for each path is a Cell the test sets: the tool for dynamic re-binding. */
class TableNamer implements Namer {
  readonly #cells = new Map<string, Cell<State<NameTree<Name>>>>();
  readonly lookups: string[] = [];

  cell(path: string): Cell<State<NameTree<Name>>> {
    let c = this.#cells.get(path);
    if (c === undefined) {
      c = new Cell<State<NameTree<Name>>>(State.pending);
      this.#cells.set(path, c);
    }
    return c;
  }

  /** Answers `path` with a name tree (paths in it are looked up in turn). */
  set(path: string, tree: string | NameTree<Name>): void {
    this.cell(path).set(State.ok(typeof tree === "string" ? (readNameTree(tree) as NameTree<Name>) : tree));
  }

  fail(path: string, error: Error): void {
    this.cell(path).set(State.failed(error));
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    this.lookups.push(path.show);
    return new Activity(this.cell(path.show));
  }
}

const mount = (prefix: string, namer: Namer): MountedNamer => ({ prefix: readPath(prefix), namer });

/** Shows a bound tree with each leaf as `id` or `id (residual /r)`. */
const showBound = (t: NameTree<BoundName>) => NameTree.show(t, (b) => String(b));

function okTree(state: State<NameTree<BoundName>>): NameTree<BoundName> {
  if (state.kind !== "ok") {
    assert.fail(
      `expected a bound tree, got ${state.kind === "failed" ? `failure: ${state.error.message}` : "pending"}`,
    );
  }
  return state.value;
}

function bindNow(interpreter: ConfiguredNamersInterpreter, dtab: string, path: string): NameTree<BoundName> {
  return okTree(interpreter.bind(readDtab(dtab), readPath(path)).sample());
}

/** The addresses of a bound leaf, with their weights as carried in metadata. */
function weightsOf(b: BoundName): { ip: string; port: number; weight: unknown }[] {
  const addr = b.addr.sample();
  assert.equal(addr.kind, "bound");
  if (addr.kind !== "bound") return [];
  return addr.addrs.map((a) => ({ ip: a.ip, port: a.port, weight: a.meta[WEIGHT_META_KEY] }));
}

function leavesOf(t: NameTree<BoundName>): BoundName[] {
  return NameTree.leaves(t);
}

// ---------------------------------------------------------------------------------------------------------------
// Binding

describe("binding through the dtab and namers", () => {
  const fs = () => new FakeFsNamer({ b2: Addr.bound([Addr.address("10.0.0.2", 8080)]) });
  const interpreter = (namer = fs()) =>
    new ConfiguredNamersInterpreter([mount("/#/io.l5d.fs", namer)], fakeGlobal);

  test("a dentry to a /$/inet name binds to its address", () => {
    const t = bindNow(interpreter(), "/svc/pong => /$/inet/127.1/8002", "/svc/pong");
    assert.equal(showBound(t), "/$/inet/127.1/8002");
    const [b] = leavesOf(t);
    assert.deepEqual(b!.addr.sample(), Addr.bound([Addr.address("127.0.0.1", 8002)]));
  });

  test("a namer consumes part of the path; the rest is the residual", () => {
    const t = bindNow(interpreter(), "/svc => /#/io.l5d.fs", "/svc/b2/x/y");
    assert.equal(t.kind, "leaf");
    const [b] = leavesOf(t);
    assert.equal(b!.id.show, "/#/io.l5d.fs/b2");
    assert.equal(b!.residual.show, "/x/y");
  });

  test("the global namer's residual: /$/inet/<host>/<port>/rest (Finagle's NamerTest)", () => {
    const [b] = leavesOf(bindNow(interpreter(), "", "/$/inet/127.0.0.1/1234/foobar"));
    assert.equal(b!.id.show, "/$/inet/127.0.0.1/1234");
    assert.equal(b!.residual.show, "/foobar");
  });

  test("a path no dentry and no namer knows is Neg (Finagle's 'Handles unknown')", () => {
    assert.equal(bindNow(interpreter(), "/foo => /bar", "/blah").kind, "neg");
    assert.equal(bindNow(interpreter(), "/foo => /bar", "/foo").kind, "neg");
  });

  test("the Linkerd reference example: Alt(/srv/b2/x, /srv/b1/x) with a fallback, only b2 exists", () => {
    const namer = fs();
    const t = bindNow(
      interpreter(namer),
      "/svc=>/#/io.l5d.fs; /svc/b=>/srv/b2 | /srv/b1; /srv=>/#/io.l5d.fs",
      "/svc/b/x",
    );
    assert.equal(showBound(t), "/#/io.l5d.fs/b2 (residual /x)");
    // The first alternative that binds wins: neither /srv/b1 nor the fallback is looked up.
    assert.deepEqual(namer.lookups, ["/b2/x"]);
  });

  test("an Alt falls through Neg to the next alternative", () => {
    const namer = fs();
    const t = bindNow(interpreter(namer), "/srv=>/#/io.l5d.fs; /svc=>/srv/b1 | ~ | /srv/b2", "/svc/x");
    assert.equal(showBound(t), "/#/io.l5d.fs/b2 (residual /x)");
    assert.deepEqual(namer.lookups, ["/b1/x", "/b2/x"]);
  });

  test("every matching dentry is a fallback: a later one that binds to Neg gives way to an earlier one", () => {
    const t = bindNow(interpreter(), "/svc => /#/io.l5d.fs/b2; /svc => /#/io.l5d.fs/missing", "/svc");
    assert.equal(showBound(t), "/#/io.l5d.fs/b2");
    const later = bindNow(interpreter(), "/svc => /#/io.l5d.fs/missing; /svc => /#/io.l5d.fs/b2", "/svc");
    assert.equal(showBound(later), "/#/io.l5d.fs/b2");
  });

  test("a dentry to '~' counts as no match, so the namers are asked", () => {
    const t = bindNow(interpreter(), "/#/io.l5d.fs/b2 => ~", "/#/io.l5d.fs/b2");
    assert.equal(showBound(t), "/#/io.l5d.fs/b2");
  });

  test("a dentry takes precedence over the namers", () => {
    const namer = fs();
    const t = bindNow(interpreter(namer), "/#/io.l5d.fs/b2 => /$/inet/127.0.0.1/9", "/#/io.l5d.fs/b2");
    assert.equal(showBound(t), "/$/inet/127.0.0.1/9");
    assert.deepEqual(namer.lookups, []);
  });

  test("an Alt stops at Fail: later alternatives are not tried (Finagle's NamerTest)", () => {
    const table = new TableNamer();
    const interp = new ConfiguredNamersInterpreter([mount("/test", table)], fakeGlobal);
    assert.equal(bindNow(interp, "/t => (! | /test/1 | /test/2)", "/t").kind, "fail");
    assert.equal(bindNow(interp, "/t => (~ | /$/fail | /test/1)", "/t").kind, "fail");
    assert.equal(bindNow(interp, "/t => /$/fail/x | /$/inet/127.0.0.1/1", "/t").kind, "fail");
    assert.deepEqual(table.lookups, []);
  });

  test("Empty is a real answer: an Alt stops there (Finagle's NamerTest)", () => {
    const table = new TableNamer();
    const interp = new ConfiguredNamersInterpreter([mount("/test", table)], fakeGlobal);
    assert.equal(bindNow(interp, "/t => (/$/nil | /$/fail | /test/1)", "/t").kind, "empty");
    assert.equal(bindNow(interp, "/t => ~ | $ | /$/inet/127.0.0.1/1", "/t").kind, "empty");
    assert.equal(bindNow(interp, "/t => /$/nil/foo/bar", "/t").kind, "empty");
    assert.deepEqual(table.lookups, []);
  });

  test("a Union drops branches that bind to Neg or Fail", () => {
    const t = bindNow(
      interpreter(),
      "/t => /$/inet/127.0.0.1/1 & /missing & /$/fail & ~ & /$/inet/127.0.0.1/2",
      "/t",
    );
    assert.equal(showBound(t), "/$/inet/127.0.0.1/1 & /$/inet/127.0.0.1/2");
  });

  test("a Union left with one branch is that branch", () => {
    const t = bindNow(interpreter(), "/t => /$/inet/127.0.0.1/1 & /missing & /$/fail", "/t");
    assert.equal(t.kind, "leaf");
    assert.equal(showBound(t), "/$/inet/127.0.0.1/1");
  });

  test("a Union with nothing left is Neg; with only Empty left, Empty", () => {
    assert.equal(bindNow(interpreter(), "/t => /missing & ~ & /$/fail", "/t").kind, "neg");
    assert.equal(bindNow(interpreter(), "/t => /missing & /$/nil", "/t").kind, "empty");
    assert.equal(bindNow(interpreter(), "/t => $ & $", "/t").kind, "union");
  });

  test("names bind through several dentries in turn (Finagle's DtabTest, d1 ++ d2)", () => {
    const d1 = "/foo => /bar";
    const d2 = "/foo => /biz; /biz => /$/inet/0/8080; /bar => /$/inet/0/9090";
    assert.equal(showBound(bindNow(interpreter(), `${d1};${d2}`, "/foo")), "/$/inet/0/8080");
    assert.equal(showBound(bindNow(interpreter(), `${d2};${d1}`, "/foo")), "/$/inet/0/9090");
  });

  test("a loop fails with 'Max recursion level reached.'", () => {
    for (const [dtab, path] of [
      ["/a=>/b;/b=>/a", "/a"],
      ["/foo/bar => /bar/foo; /bar/foo => /foo/bar", "/foo/bar"],
      ["/s => /s/srv", "/s/foo/bar"],
    ] as const) {
      const state = interpreter().bind(readDtab(dtab), readPath(path)).sample();
      assert.equal(state.kind, "failed", dtab);
      if (state.kind === "failed") {
        assert.ok(state.error instanceof RecursionLimitError);
        assert.equal(state.error.message, "Max recursion level reached.");
      }
    }
  });

  test(`a name may take ${MAX_DEPTH} lookups to bind, and no more`, () => {
    // /p0 => /p1 => ... => /pN => /$/inet/...: N + 1 dtab lookups, then one by the global namer.
    const chain = (n: number) =>
      [...Array.from({ length: n }, (_, i) => `/p${i} => /p${i + 1}`), `/p${n} => /$/inet/127.0.0.1/1`].join(
        ";",
      );
    assert.equal(showBound(bindNow(interpreter(), chain(MAX_DEPTH - 2), "/p0")), "/$/inet/127.0.0.1/1");
    const state = interpreter()
      .bind(readDtab(chain(MAX_DEPTH - 1)), readPath("/p0"))
      .sample();
    assert.equal(state.kind, "failed");
  });
});

describe("union weights reach the addresses", () => {
  const interp = () =>
    new ConfiguredNamersInterpreter(
      [mount("/#/io.l5d.fs", new FakeFsNamer({ a: Addr.bound([Addr.address("10.0.0.1", 80)]) }))],
      fakeGlobal,
    );

  test("each branch's weight is set as endpoint_addr_weight on its addresses", () => {
    const t = bindNow(interp(), "/svc => 0.3*/$/inet/10.0.0.1/80 & 0.7*/$/inet/10.0.0.2/80", "/svc");
    assert.equal(t.kind, "union");
    const [a, b] = leavesOf(t);
    assert.deepEqual(weightsOf(a!), [{ ip: "10.0.0.1", port: 80, weight: 0.3 }]);
    assert.deepEqual(weightsOf(b!), [{ ip: "10.0.0.2", port: 80, weight: 0.7 }]);
    const addr = b!.addr.sample();
    assert.equal(addr.kind === "bound" && Addr.weightOf(addr.addrs[0]!), 0.7);
  });

  test("the union tree keeps the weights too", () => {
    const t = bindNow(interp(), "/svc => 0.3*/$/inet/10.0.0.1/80 & 0.7*/$/inet/10.0.0.2/80", "/svc");
    assert.deepEqual(t.kind === "union" && t.trees.map((x) => x.weight), [0.3, 0.7]);
  });

  test("a name bound outside any union carries no weight", () => {
    const [b] = leavesOf(bindNow(interp(), "/svc => /$/inet/10.0.0.1/80", "/svc"));
    assert.deepEqual(weightsOf(b!), [{ ip: "10.0.0.1", port: 80, weight: undefined }]);
  });

  test("the weight survives further lookups below the branch", () => {
    const t = bindNow(
      interp(),
      "/svc => 0.25*/s/a & 0.75*/s/b; /s/a => /#/io.l5d.fs/a; /s/b => /$/inet/10.0.0.2/80",
      "/svc",
    );
    const [a, b] = leavesOf(t);
    assert.equal(a!.id.show, "/#/io.l5d.fs/a");
    assert.deepEqual(weightsOf(a!), [{ ip: "10.0.0.1", port: 80, weight: 0.25 }]);
    assert.deepEqual(weightsOf(b!), [{ ip: "10.0.0.2", port: 80, weight: 0.75 }]);
  });

  test("the weight survives a fallback through alternatives below the branch", () => {
    const t = bindNow(
      interp(),
      "/svc => 0.25*(/missing | /s/a) & 0.75*/s/b; /s/a => /#/io.l5d.fs/a; /s/b => /$/inet/10.0.0.2/80",
      "/svc",
    );
    const [a] = leavesOf(t);
    assert.equal(a!.id.show, "/#/io.l5d.fs/a");
    assert.deepEqual(weightsOf(a!), [{ ip: "10.0.0.1", port: 80, weight: 0.25 }]);
  });

  test("the weight survives a branch whose path several dentries match", () => {
    const t = bindNow(
      interp(),
      "/s => /#/io.l5d.fs; /s => /missing; /svc => 0.25*/s/a & 0.75*/$/inet/10.0.0.2/80",
      "/svc",
    );
    const [a] = leavesOf(t);
    assert.equal(a!.id.show, "/#/io.l5d.fs/a");
    assert.deepEqual(weightsOf(a!), [{ ip: "10.0.0.1", port: 80, weight: 0.25 }]);
  });

  test("the weight follows address changes", () => {
    const fsNamer = new FakeFsNamer({ a: Addr.bound([Addr.address("10.0.0.1", 80)]) });
    const i = new ConfiguredNamersInterpreter([mount("/#/io.l5d.fs", fsNamer)], fakeGlobal);
    const t = bindNow(i, "/svc => 0.4*/#/io.l5d.fs/a & 0.6*/$/inet/10.0.0.9/80", "/svc");
    const [a] = leavesOf(t);
    const seen: Addr[] = [];
    const sub = a!.addr.observe((x) => seen.push(x));
    fsNamer.files.get("a")!.set(Addr.bound([Addr.address("10.0.0.1", 80), Addr.address("10.0.0.3", 81)]));
    fsNamer.files.get("a")!.set(Addr.neg);
    sub.close();
    assert.deepEqual(
      seen.map((x) =>
        x.kind === "bound" ? x.addrs.map((y) => `${y.ip}:${y.port}*${y.meta[WEIGHT_META_KEY]}`) : x.kind,
      ),
      [["10.0.0.1:80*0.4"], ["10.0.0.1:80*0.4", "10.0.0.3:81*0.4"], "neg"],
    );
  });
});

describe("configured namers", () => {
  /** A namer answering a fixed set of names with bound leaves (id `<tag>/<name>`), Neg for the rest. */
  function fixed(tag: string, names: string[], lookups: string[]): Namer {
    return {
      lookup(path) {
        lookups.push(`${tag}${path.show}`);
        const [name] = path.elems;
        if (name === undefined || !names.includes(name)) return Activity.value(NameTree.neg);
        return Activity.value(
          NameTree.leaf(new BoundName(Path.of(tag, name), addrOf("10.0.0.1", 1), path.drop(1))),
        );
      },
    };
  }

  test("are tried in order, a Neg answer falling through to the next", () => {
    const lookups: string[] = [];
    const interp = new ConfiguredNamersInterpreter(
      [
        mount("/#/other", fixed("other", ["x", "y", "z"], lookups)),
        mount("/#/ns", fixed("first", ["y"], lookups)),
        mount("/#/ns", fixed("second", ["x", "y"], lookups)),
      ],
      fakeGlobal,
    );
    assert.equal(showBound(bindNow(interp, "", "/#/ns/x/rest")), "/second/x (residual /rest)");
    assert.deepEqual(lookups, ["first/x/rest", "second/x/rest"]);
    lookups.length = 0;
    assert.equal(showBound(bindNow(interp, "", "/#/ns/y")), "/first/y");
    assert.deepEqual(lookups, ["first/y"]);
    lookups.length = 0;
    assert.equal(bindNow(interp, "", "/#/ns/nobody").kind, "neg");
    assert.deepEqual(lookups, ["first/nobody", "second/nobody"]);
  });

  test("a namer sees the path after its prefix", () => {
    const lookups: string[] = [];
    const interp = new ConfiguredNamersInterpreter(
      [mount("/#/io.l5d.k8s", fixed("k", ["default"], lookups))],
      fakeGlobal,
    );
    bindNow(interp, "/svc => /#/io.l5d.k8s/default/http", "/svc/web");
    assert.deepEqual(lookups, ["k/default/http/web"]);
  });

  test("paths no configured namer answers go to the global namer", () => {
    const lookups: string[] = [];
    const interp = new ConfiguredNamersInterpreter([mount("/#/ns", fixed("n", [], lookups))], fakeGlobal);
    assert.equal(bindNow(interp, "", "/$/nil").kind, "empty");
    assert.equal(bindNow(interp, "", "/$/fail/x").kind, "fail");
    assert.deepEqual(lookups, []);
  });

  test("lookup asks the namers only, not any dtab", () => {
    const lookups: string[] = [];
    const interp = new ConfiguredNamersInterpreter([mount("/#/ns", fixed("n", ["a"], lookups))], fakeGlobal);
    const t = interp.lookup(readPath("/#/ns/a/b")).sample();
    assert.equal(t.kind, "ok");
    assert.equal(t.kind === "ok" && NameTree.show(t.value, String), "/n/a (residual /b)");
    const other = interp.lookup(readPath("/svc")).sample();
    assert.equal(other.kind === "ok" && other.value.kind, "neg");
  });

  test("a namer that throws fails the binding", () => {
    const broken: Namer = {
      lookup() {
        throw new Error("namer exploded");
      },
    };
    const interp = new ConfiguredNamersInterpreter([mount("/#/bad", broken)], fakeGlobal);
    const state = interp.bind(readDtab("/svc => /#/bad"), readPath("/svc/x")).sample();
    assert.equal(state.kind, "failed");
    assert.equal(state.kind === "failed" && state.error.message, "namer exploded");
  });

  test("a namer whose Activity fails fails the binding, alternatives after it included (Finagle's bind)", () => {
    const failing: Namer = { lookup: (p) => Activity.exception(new Error(`error naming /#/error${p.show}`)) };
    const interp = new ConfiguredNamersInterpreter([mount("/#/error", failing)], fakeGlobal);
    const state = interp
      .bind(readDtab("/svc => /#/error | /$/inet/127.0.0.1/1"), readPath("/svc/x"))
      .sample();
    assert.equal(state.kind, "failed");
    assert.equal(state.kind === "failed" && state.error.message, "error naming /#/error/x");
  });

  test("a failing union branch is dropped when another binds", () => {
    const failing: Namer = { lookup: () => Activity.exception(new Error("down")) };
    const interp = new ConfiguredNamersInterpreter([mount("/#/error", failing)], fakeGlobal);
    const t = bindNow(interp, "/svc => /#/error & /$/inet/127.0.0.1/1", "/svc");
    assert.equal(showBound(t), "/$/inet/127.0.0.1/1");
    // Finagle's bindUnion: a Neg branch is an answer, so Failed & Neg is Neg; only all-failed fails.
    assert.equal(bindNow(interp, "/svc => /#/error & ~", "/svc").kind, "neg");
    const state = interp.bind(readDtab("/svc => /#/error/a & /#/error/b"), readPath("/svc")).sample();
    assert.equal(state.kind, "failed");
  });

  test("an unknown /$/ kind fails", () => {
    const interp = new ConfiguredNamersInterpreter([], fakeGlobal);
    const state = interp.bind(readDtab("/svc => /$/com.example.Nope"), readPath("/svc/x")).sample();
    assert.equal(state.kind, "failed");
  });
});

describe("dynamic re-binding", () => {
  function setup(dtab: string) {
    const namer = new TableNamer();
    const interp = new ConfiguredNamersInterpreter([mount("/test", namer)], fakeGlobal);
    const states: State<NameTree<BoundName>>[] = [];
    const sub = interp.bind(readDtab(dtab), readPath("/t")).observe((s) => states.push(s));
    const latest = () => states[states.length - 1]!;
    const shown = () => {
      const s = latest();
      return s.kind === "ok"
        ? showBound(s.value)
        : s.kind === "failed"
          ? `failed: ${s.error.message}`
          : "pending";
    };
    return { namer, sub, latest, shown };
  }

  test("a union follows its branches (Finagle's NamerTest 'NameTree.bind: union')", () => {
    const { namer, sub, shown } = setup("/t => /test/0 & /test/1");
    const inet = (n: number) => `/$/inet/127.0.0.1/${n}`;
    assert.equal(shown(), "pending"); // Pending & Pending
    namer.set("/0", "/test/2");
    assert.equal(shown(), "pending"); // /test/0 now waits on /test/2
    namer.set("/1", inet(1));
    assert.equal(shown(), inet(1)); // Ok & Pending: the Ok branch alone
    namer.fail("/1", new Error("boom"));
    assert.equal(shown(), "failed: boom"); // Failed & Pending
    namer.set("/1", inet(1));
    namer.set("/2", inet(2));
    assert.equal(shown(), `${inet(2)} & ${inet(1)}`); // Ok & Ok
    namer.set("/2", "~");
    assert.equal(shown(), inet(1)); // Ok & Neg
    namer.fail("/2", new Error("boom"));
    assert.equal(shown(), inet(1)); // Failed & Ok
    namer.fail("/1", new Error("bang"));
    assert.equal(shown(), "failed: boom"); // Failed & Failed: the first failure
    namer.set("/1", "~");
    namer.set("/2", "~");
    assert.equal(shown(), "~"); // Neg & Neg
    namer.set("/1", "$");
    assert.equal(shown(), "$"); // Neg & Empty
    sub.close();
  });

  test("an Alt re-binds as its alternatives change (Finagle's NamerTest 'NameTree.bind: failover')", () => {
    const { namer, sub, shown } = setup("/t => /test/0 | /test/1 & /test/2");
    const inet = (n: number) => `/$/inet/127.0.0.1/${n}`;
    assert.equal(shown(), "pending");
    namer.set("/0", "$");
    namer.set("/1", "~");
    namer.set("/2", "~");
    assert.equal(shown(), "$");
    namer.set("/0", inet(1));
    assert.equal(shown(), inet(1));
    namer.set("/0", "~");
    assert.equal(shown(), "~");
    namer.set("/2", inet(2));
    assert.equal(shown(), inet(2));
    namer.set("/0", inet(3));
    assert.equal(shown(), inet(3));
    sub.close();
  });

  test("a bound name changes when the namer's answer does, and Neg falls back to the next namer", () => {
    const first = new TableNamer();
    const second = new TableNamer();
    const interp = new ConfiguredNamersInterpreter(
      [mount("/#/ns", first), mount("/#/ns", second)],
      fakeGlobal,
    );
    const states: State<NameTree<BoundName>>[] = [];
    const sub = interp.bind(readDtab("/svc => /#/ns"), readPath("/svc/web")).observe((s) => states.push(s));
    const shown = () => {
      const s = states[states.length - 1]!;
      return s.kind === "ok" ? showBound(s.value) : s.kind;
    };
    second.set("/web", "/$/inet/10.0.0.2/80");
    assert.equal(shown(), "pending"); // the first namer has not answered yet
    first.set("/web", "~");
    assert.equal(shown(), "/$/inet/10.0.0.2/80");
    first.set("/web", "/$/inet/10.0.0.1/80");
    assert.equal(shown(), "/$/inet/10.0.0.1/80");
    first.set("/web", "~");
    assert.equal(shown(), "/$/inet/10.0.0.2/80");
    second.set("/web", "~");
    assert.equal(shown(), "~");
    sub.close();
  });

  test("closing the last observer releases the namers' cells", () => {
    const { namer, sub } = setup("/t => /test/0 | /test/1 & /test/2");
    namer.set("/0", "~");
    assert.equal(namer.cell("/0").observerCount, 1);
    assert.ok(namer.cell("/1").observerCount > 0);
    sub.close();
    for (const p of ["/0", "/1", "/2"]) assert.equal(namer.cell(p).observerCount, 0, p);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Delegation

async function delegateJson(interp: ConfiguredNamersInterpreter, dtab: string, path: string): Promise<Json> {
  const tree = await interp.delegate(readDtab(dtab), readPath(path)).toPromise(1000);
  return delegateTreeToJson(tree, await resolveAddrs(tree, 20));
}

/** Compares JSON including key order, as the HTTP body would. */
function assertJson(actual: Json, expected: Json): void {
  assert.deepEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

const dentryJson = (text: string) => readDentry(text).toJSON();

describe("DelegateTree.simplify (Linkerd's DelegateTreeTest)", () => {
  const p = readPath;
  const d = readDentry;
  const nop = DelegateTree.nop;

  /** Compares delegate trees by a compact rendering of kind, path, dentry and children. */
  function render(t: DelegateTree<Path>): string {
    const head = `${t.kind}(${t.path.show}${t.kind === "transformation" ? "" : `, ${t.dentry.show}`}`;
    switch (t.kind) {
      case "leaf":
        return `${head}, ${t.value.show})`;
      case "delegate":
        return `${head}, ${render(t.tree)})`;
      case "alt":
        return `${head}, [${t.trees.map(render).join(", ")}])`;
      case "union":
        return `${head}, [${t.trees.map((w) => `${w.weight}:${render(w.tree)}`).join(", ")}])`;
      default:
        return `${head})`;
    }
  }

  test("collapses nodes with the same path", () => {
    const orig: DelegateTree<Path> = {
      kind: "delegate",
      path: p("/a"),
      dentry: nop,
      tree: {
        kind: "delegate",
        path: p("/b"),
        dentry: d("/a => /b"),
        tree: {
          kind: "alt",
          path: p("/b"),
          dentry: d("/b => /c|/d"),
          trees: [
            { kind: "leaf", path: p("/c"), dentry: d("/b => /c|/d"), value: p("/c") },
            { kind: "leaf", path: p("/d"), dentry: d("/b => /c|/d"), value: p("/d") },
          ],
        },
      },
    };
    assert.equal(
      render(DelegateTree.simplify(orig)),
      "delegate(/a, /=>~, alt(/b, /a=>/b, [leaf(/c, /b=>/c | /d, /c), leaf(/d, /b=>/c | /d, /d)]))",
    );
  });

  test("converts single-branch alts into delegates", () => {
    const leafC: DelegateTree<Path> = { kind: "leaf", path: p("/c"), dentry: d("/b => /c"), value: p("/c") };
    const orig: DelegateTree<Path> = {
      kind: "delegate",
      path: p("/a"),
      dentry: nop,
      tree: {
        kind: "delegate",
        path: p("/b"),
        dentry: d("/a => /b"),
        tree: { kind: "alt", path: p("/b"), dentry: d("/b => /c"), trees: [leafC] },
      },
    };
    assert.equal(
      render(DelegateTree.simplify(orig)),
      "delegate(/a, /=>~, delegate(/b, /a=>/b, leaf(/c, /b=>/c, /c)))",
    );
  });

  // Linkerd's DelegateTreeTest collapsed the outer Delegate into this Neg; Linkerd later stopped collapsing a
  // Delegate into a Neg, Fail or Empty child (so the dentry that led there stays shown), which is followed here.
  test("converts no-branch alts and unions into neg, kept under their delegate", () => {
    for (const kind of ["alt", "union"] as const) {
      const empty: DelegateTree<Path> =
        kind === "alt"
          ? { kind, path: p("/b"), dentry: d("/b => ~"), trees: [] }
          : { kind, path: p("/b"), dentry: d("/b => ~"), trees: [] };
      const orig: DelegateTree<Path> = {
        kind: "delegate",
        path: p("/a"),
        dentry: nop,
        tree: { kind: "delegate", path: p("/b"), dentry: d("/a => /b"), tree: empty },
      };
      assert.equal(
        render(DelegateTree.simplify(orig)),
        `delegate(/a, /=>~, delegate(/b, /a=>/b, neg(/b, /b=>~)))`,
        kind,
      );
    }
  });

  test("converts single-branch unions into delegates", () => {
    const leafC: DelegateTree<Path> = { kind: "leaf", path: p("/c"), dentry: d("/b => /c"), value: p("/c") };
    const orig: DelegateTree<Path> = {
      kind: "delegate",
      path: p("/a"),
      dentry: nop,
      tree: {
        kind: "delegate",
        path: p("/b"),
        dentry: d("/a => /b"),
        tree: { kind: "union", path: p("/b"), dentry: d("/b => /c"), trees: [{ weight: 1, tree: leafC }] },
      },
    };
    assert.equal(
      render(DelegateTree.simplify(orig)),
      "delegate(/a, /=>~, delegate(/b, /a=>/b, leaf(/c, /b=>/c, /c)))",
    );
  });

  test("keeps a delegate over Neg, Fail or Empty at the same path", () => {
    for (const kind of ["neg", "fail", "empty"] as const) {
      const orig: DelegateTree<Path> = {
        kind: "delegate",
        path: p("/a"),
        dentry: nop,
        tree: { kind, path: p("/a"), dentry: d("/a => /b") },
      };
      assert.equal(render(DelegateTree.simplify(orig)), `delegate(/a, /=>~, ${kind}(/a, /a=>/b))`);
    }
  });

  test("fromNameTree gives Neg nodes the empty path", () => {
    const t = DelegateTree.fromNameTree(p("/x"), d("/x => /a | ~"), readNameTree("/a | ~"));
    assert.equal(render(t), "alt(/x, /x=>/a | ~, [leaf(/x, /x=>/a | ~, /a), neg(/, /x=>/a | ~)])");
  });
});

describe("delegation", () => {
  // The dtab and namers of Linkerd's DelegateApiHandlerTest: an `error` namer that always fails.
  const dtab = `
    /beh => /#/error ;
    /bah/humbug => /$/inet/127.1/8080 ;
    /foo => /bah | /beh | /$/fail ;
    /foo => /bar ;
    /boo => /foo ;
    /meh => /heh ;
  `;
  const errorNamer: Namer = {
    lookup: (p) => Activity.exception(new Error(`error naming /#/error${p.show}`)),
  };
  const linkerd = () => new ConfiguredNamersInterpreter([mount("/#/error", errorNamer)], fakeGlobal);

  test("the /delegator.json answer of Linkerd's DelegateApiHandlerTest", async () => {
    const foo = { prefix: "/foo", dst: "/bah | /beh | /$/fail" };
    assertJson(await delegateJson(linkerd(), dtab, "/boo/humbug"), {
      type: "delegate",
      path: "/boo/humbug",
      delegate: {
        type: "alt",
        path: "/foo/humbug",
        dentry: { prefix: "/boo", dst: "/foo" },
        alt: [
          { type: "neg", path: "/bar/humbug", dentry: { prefix: "/foo", dst: "/bar" } },
          {
            type: "delegate",
            path: "/bah/humbug",
            dentry: foo,
            delegate: {
              type: "leaf",
              path: "/$/inet/127.1/8080",
              dentry: { prefix: "/bah/humbug", dst: "/$/inet/127.1/8080" },
              bound: {
                addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 8080, meta: {} }], meta: {} },
                id: "/$/inet/127.1/8080",
                path: "/",
              },
            },
          },
          {
            type: "delegate",
            path: "/beh/humbug",
            dentry: foo,
            delegate: {
              type: "exception",
              path: "/#/error/humbug",
              dentry: { prefix: "/beh", dst: "/#/error" },
              message: "error naming /#/error/humbug",
            },
          },
          { type: "fail", path: "/$/fail/humbug", dentry: foo },
        ],
      },
    });
  });

  test("explain neg delegation: a path nothing matches (Linkerd's DelegatorTest)", async () => {
    assertJson(await delegateJson(linkerd(), dtab, "/nope"), { type: "neg", path: "/nope" });
  });

  test("explain delegate delegation: one dentry, then nothing (Linkerd's DelegatorTest)", async () => {
    assertJson(await delegateJson(linkerd(), dtab, "/meh/hey"), {
      type: "delegate",
      path: "/meh/hey",
      delegate: { type: "neg", path: "/heh/hey", dentry: { prefix: "/meh", dst: "/heh" } },
    });
  });

  test("explain alt delegation: every alternative is shown (Linkerd's DelegatorTest)", async () => {
    const d =
      "/bah/humbug => /$/inet/127.1/8080; /foo => /bah | /$/fail; /foo => /bar; /boo => /foo; /meh => /heh";
    assertJson(await delegateJson(linkerd(), d, "/boo/lol"), {
      type: "delegate",
      path: "/boo/lol",
      delegate: {
        type: "alt",
        path: "/foo/lol",
        dentry: { prefix: "/boo", dst: "/foo" },
        alt: [
          { type: "neg", path: "/bar/lol", dentry: { prefix: "/foo", dst: "/bar" } },
          { type: "neg", path: "/bah/lol", dentry: { prefix: "/foo", dst: "/bah | /$/fail" } },
          { type: "fail", path: "/$/fail/lol", dentry: { prefix: "/foo", dst: "/bah | /$/fail" } },
        ],
      },
    });
  });

  test("explain bound delegation: the residual is the bound path (Linkerd's DelegatorTest)", async () => {
    const d = "/bah/humbug => /$/inet/127.1/8080; /foo => /bah | /$/fail; /foo => /bar; /boo => /foo";
    const json = (await delegateJson(linkerd(), d, "/boo/humbug/ya")) as { delegate: { alt: Json[] } };
    assertJson(json.delegate.alt[1]!, {
      type: "delegate",
      path: "/bah/humbug/ya",
      dentry: { prefix: "/foo", dst: "/bah | /$/fail" },
      delegate: {
        type: "leaf",
        path: "/$/inet/127.1/8080/ya",
        dentry: { prefix: "/bah/humbug", dst: "/$/inet/127.1/8080" },
        bound: {
          addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 8080, meta: {} }], meta: {} },
          id: "/$/inet/127.1/8080",
          path: "/ya",
        },
      },
    });
  });

  test("a name bound by a configured namer, its address still pending (Linkerd's DelegatorTest)", async () => {
    const pendingNamer: Namer = {
      lookup: (p) =>
        Activity.value(NameTree.leaf(new BoundName(Path.of("namer"), Var.value(Addr.pending), p))),
    };
    const interp = new ConfiguredNamersInterpreter([mount("/namer", pendingNamer)], fakeGlobal);
    assertJson(await delegateJson(interp, "/nah=>/namer;", "/nah/bro"), {
      type: "delegate",
      path: "/nah/bro",
      delegate: {
        type: "leaf",
        path: "/namer/bro",
        dentry: { prefix: "/nah", dst: "/namer" },
        bound: { addr: { type: "pending" }, id: "/namer", path: "/bro" },
      },
    });
  });

  test("the Linkerd reference example (section 2.4), with an fs namer where only b2 exists", async () => {
    const fsNamer = new FakeFsNamer({ b2: Addr.bound([Addr.address("10.0.0.2", 8080)]) });
    const interp = new ConfiguredNamersInterpreter([mount("/#/io.l5d.fs", fsNamer)], fakeGlobal);
    const d2 = { prefix: "/svc/b", dst: "/srv/b2 | /srv/b1" };
    const d3 = { prefix: "/srv", dst: "/#/io.l5d.fs" };
    assertJson(
      await delegateJson(
        interp,
        "/svc=>/#/io.l5d.fs; /svc/b=>/srv/b2 | /srv/b1; /srv=>/#/io.l5d.fs",
        "/svc/b/x",
      ),
      {
        type: "alt",
        path: "/svc/b/x",
        alt: [
          {
            type: "delegate",
            path: "/srv/b2/x",
            dentry: d2,
            delegate: {
              type: "leaf",
              path: "/#/io.l5d.fs/b2/x",
              dentry: d3,
              bound: {
                addr: { type: "bound", addrs: [{ ip: "10.0.0.2", port: 8080, meta: {} }], meta: {} },
                id: "/#/io.l5d.fs/b2",
                path: "/x",
              },
            },
          },
          {
            type: "delegate",
            path: "/srv/b1/x",
            dentry: d2,
            delegate: { type: "neg", path: "/#/io.l5d.fs/b1/x", dentry: d3 },
          },
          { type: "neg", path: "/#/io.l5d.fs/b/x", dentry: { prefix: "/svc", dst: "/#/io.l5d.fs" } },
        ],
      },
    );
  });

  test("a union shows each branch with its weight", async () => {
    const svc = dentryJson("/svc => 0.3*/$/inet/127.0.0.1/1 & 0.7*/$/inet/127.0.0.1/2");
    const leaf = (port: number) => ({
      type: "leaf",
      path: `/$/inet/127.0.0.1/${port}`,
      dentry: svc,
      bound: {
        addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port, meta: {} }], meta: {} },
        id: `/$/inet/127.0.0.1/${port}`,
        path: "/",
      },
    });
    assertJson(
      await delegateJson(linkerd(), "/svc => 0.3*/$/inet/127.0.0.1/1 & 0.7*/$/inet/127.0.0.1/2", "/svc"),
      {
        type: "union",
        path: "/svc",
        union: [
          { weight: 0.3, tree: leaf(1) },
          { weight: 0.7, tree: leaf(2) },
        ],
      },
    );
  });

  test("'~', '!' and '$' in a dentry show as neg, fail and empty", async () => {
    assertJson(await delegateJson(linkerd(), "/svc => ~", "/svc/x"), {
      type: "delegate",
      path: "/svc/x",
      delegate: { type: "neg", path: "~", dentry: { prefix: "/svc", dst: "~" } },
    });
    assertJson(await delegateJson(linkerd(), "/svc => !", "/svc/x"), {
      type: "delegate",
      path: "/svc/x",
      delegate: { type: "fail", path: "!", dentry: { prefix: "/svc", dst: "!" } },
    });
    assertJson(await delegateJson(linkerd(), "/svc => $", "/svc/x"), {
      type: "delegate",
      path: "/svc/x",
      delegate: { type: "empty", path: "/svc/x", dentry: { prefix: "/svc", dst: "$" } },
    });
  });

  test("/$/nil shows as empty at its path", async () => {
    assertJson(await delegateJson(linkerd(), "/svc => /$/nil", "/svc/x"), {
      type: "delegate",
      path: "/svc/x",
      delegate: { type: "empty", path: "/$/nil/x", dentry: { prefix: "/svc", dst: "/$/nil" } },
    });
  });

  test("a loop fails the delegation with 'Max recursion level reached.'", async () => {
    await assert.rejects(linkerd().delegate(readDtab("/a=>/b;/b=>/a"), readPath("/a")).toPromise(1000), {
      message: "Max recursion level reached.",
    });
  });

  test("a namer that throws shows as an exception node", async () => {
    const broken: Namer = {
      lookup() {
        throw new Error("namer exploded");
      },
    };
    const interp = new ConfiguredNamersInterpreter([mount("/#/bad", broken)], fakeGlobal);
    assertJson(await delegateJson(interp, "/svc => /#/bad", "/svc/x"), {
      type: "delegate",
      path: "/svc/x",
      delegate: {
        type: "exception",
        path: "/#/bad/x",
        dentry: { prefix: "/svc", dst: "/#/bad" },
        message: "namer exploded",
      },
    });
  });

  test("delegation follows a namer's changes", () => {
    const table = new TableNamer();
    const interp = new ConfiguredNamersInterpreter([mount("/#/t", table)], fakeGlobal);
    const seen: string[] = [];
    const sub = interp.delegate(readDtab("/svc => /#/t"), readPath("/svc/a")).observe((s) => {
      seen.push(s.kind === "ok" ? JSON.stringify(delegateTreeToJson(s.value, new Map())) : s.kind);
    });
    table.set("/a", "~");
    table.set("/a", "$");
    sub.close();
    assert.deepEqual(seen, [
      "pending",
      '{"type":"delegate","path":"/svc/a","delegate":{"type":"neg","path":"/#/t/a","dentry":{"prefix":"/svc","dst":"/#/t"}}}',
      '{"type":"delegate","path":"/svc/a","delegate":{"type":"empty","path":"/#/t/a","dentry":{"prefix":"/svc","dst":"/#/t"}}}',
    ]);
    assert.equal(table.cell("/a").observerCount, 0);
  });
});
