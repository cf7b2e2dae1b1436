// Dtab lookup, concatenation and show: Finagle's Dtab semantics (DtabTest, DtabBase.lookup) as the Linkerd 1
// reference states them in section 2.2.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ANY, Dentry, Dtab, Prefix, rewrite } from "./dtab.ts";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { readDentry, readDtab, readPath } from "./syntax.ts";

const show = (t: NameTree<Path>) => NameTree.show(t, (p) => p.show);
const lookup = (dtab: string, path: string) => readDtab(dtab).lookup(readPath(path));

describe("Dtab.lookup", () => {
  test("no matching dentry gives Neg", () => {
    assert.equal(lookup("/foo=>/bar", "/blah").kind, "neg");
    assert.equal(lookup("", "/foo").kind, "neg");
  });

  test("a matching dentry rewrites the prefix and keeps the rest of the path", () => {
    assert.equal(show(lookup("/foo=>/bar", "/foo")), "/bar");
    assert.equal(show(lookup("/foo=>/bar", "/foo/x/y")), "/bar/x/y");
    assert.equal(show(lookup("/svc=>/#/io.l5d.fs", "/svc/users")), "/#/io.l5d.fs/users");
  });

  test("a prefix matches whole labels only", () => {
    assert.equal(lookup("/foo=>/bar", "/foobar").kind, "neg");
    assert.equal(lookup("/foo/bar=>/x", "/foo").kind, "neg");
    assert.equal(lookup("/foo/bar=>/x", "/foo/baz").kind, "neg");
  });

  test("the empty prefix matches every path, the empty one included", () => {
    assert.equal(show(lookup("/=>/x", "/a/b")), "/x/a/b");
    assert.equal(show(lookup("/=>/x", "/")), "/x");
  });

  test("'*' matches any one label, never none", () => {
    const dtab = "/foo/*/bar => /baz";
    assert.equal(show(lookup(dtab, "/foo/1/bar")), "/baz");
    assert.equal(show(lookup(dtab, "/foo/anything.at-all/bar/x/y")), "/baz/x/y");
    assert.equal(lookup(dtab, "/foo/1/baz").kind, "neg");
    assert.equal(lookup(dtab, "/foo/1").kind, "neg");
    assert.equal(lookup(dtab, "/foo/bar").kind, "neg");
    assert.equal(show(lookup("/* => /any", "/x/y")), "/any/y");
    assert.equal(lookup("/* => /any", "/").kind, "neg");
  });

  test("'*' matches labels that are not text, and a literal '*' label", () => {
    assert.equal(show(lookup("/s/*=>/t", "/s/\\x00\\xff/r")), "/t/r");
    assert.equal(show(readDtab("/s/*=>/t").lookup(Path.of("s", "*"))), "/t");
  });

  test("the suffix is appended to every leaf of the destination, whatever its shape", () => {
    assert.equal(show(lookup("/a => /b & 0.5*/c | ~ | !", "/a/z")), "/b/z & 0.50*/c/z | ~ | !");
    assert.equal(show(lookup("/a => $", "/a/z")), "$");
    assert.equal(show(lookup("/a => (/b | /c) & /d", "/a/1/2")), "(/b/1/2 | /c/1/2) & /d/1/2");
  });

  test("several matches give an Alt, the last dentry first, each a fallback for the one before", () => {
    const dtab = "/a=>/b; /a=>/c; /a/x=>/d; /z=>/nope";
    assert.equal(show(lookup(dtab, "/a/x")), "/d | /c/x | /b/x");
    assert.equal(show(lookup(dtab, "/a/y")), "/c/y | /b/y");
    const t = lookup(dtab, "/a/x");
    assert.equal(t.kind, "alt");
    assert.equal(t.kind === "alt" && t.trees.length, 3);
  });

  test("a matching entry whose destination is Neg still counts as a match", () => {
    const t = lookup("/a=>/b; /a=>~", "/a/x");
    assert.equal(t.kind, "alt");
    assert.equal(show(t), "~ | /b/x");
  });

  test("the example of the Linkerd reference: later entries first, earlier ones as fallbacks", () => {
    const dtab = "/svc=>/#/io.l5d.fs; /svc/b=>/srv/b2 | /srv/b1; /srv=>/#/io.l5d.fs";
    assert.equal(show(lookup(dtab, "/svc/b/x")), "(/srv/b2/x | /srv/b1/x) | /#/io.l5d.fs/b/x");
    assert.equal(show(lookup(dtab, "/svc/c")), "/#/io.l5d.fs/c");
    assert.equal(show(lookup(dtab, "/srv/b2/x")), "/#/io.l5d.fs/b2/x");
  });

  test("prefixes with wildcards and without are matched together, in dtab order", () => {
    const dtab = "/host/*/web => /srv/web; /host/prod/* => /srv/prod; /host => /srv/default";
    assert.equal(
      show(lookup(dtab, "/host/prod/web/x")),
      "/srv/default/prod/web/x | /srv/prod/x | /srv/web/x",
    );
    assert.equal(show(lookup(dtab, "/host/dev/web")), "/srv/default/dev/web | /srv/web");
  });

  test("lookup returns the dentry's own tree when nothing is left to append", () => {
    const dtab = readDtab("/a => /b | /c");
    assert.equal(dtab.lookup(readPath("/a")), dtab.dentries[0]!.dst);
  });
});

describe("rewrite", () => {
  test("replaces the matched prefix, wildcards included, by the destination", () => {
    const d = readDentry("/s/*/http => /#/io.l5d.k8s/default/http");
    assert.equal(show(rewrite(d, readPath("/s/users/http/v1"))), "/#/io.l5d.k8s/default/http/v1");
  });
});

describe("Dtab.concat", () => {
  test("d1 ++ d2 is d1's entries then d2's (Finagle's DtabTest)", () => {
    const d1 = readDtab("/foo => /bar");
    const d2 = readDtab("/foo=>/biz;/biz=>/$/inet/0/8080;/bar=>/$/inet/0/9090");
    assert.ok(
      d1.concat(d2).equals(
        readDtab(`
          /foo=>/bar;
          /foo=>/biz;
          /biz=>/$/inet/0/8080;
          /bar=>/$/inet/0/9090
        `),
      ),
    );
  });

  test("concatenating the empty dtab changes nothing", () => {
    const d1 = readDtab("/foo=>/bar;/biz=>/baz");
    assert.ok(d1.concat(Dtab.empty).equals(d1));
    assert.ok(Dtab.empty.concat(d1).equals(d1));
    assert.ok(Dtab.empty.concat(Dtab.empty).isEmpty);
  });

  test("entries of the right-hand dtab take precedence in lookup", () => {
    const base = readDtab("/svc => /srv/base");
    const local = readDtab("/svc => /srv/override");
    assert.equal(show(base.concat(local).lookup(readPath("/svc/x"))), "/srv/override/x | /srv/base/x");
    assert.equal(show(local.concat(base).lookup(readPath("/svc/x"))), "/srv/base/x | /srv/override/x");
  });

  test("plus adds one entry at the end", () => {
    const d = readDtab("/a=>/b").plus(readDentry("/c=>/d"));
    assert.equal(d.show, "/a=>/b;/c=>/d");
  });

  test("dtabs are values: concat and plus leave their operands alone", () => {
    const d1 = readDtab("/a=>/b");
    const d2 = readDtab("/c=>/d");
    d1.concat(d2);
    d1.plus(readDentry("/e=>/f"));
    assert.equal(d1.show, "/a=>/b");
    assert.equal(d2.show, "/c=>/d");
    assert.ok(Object.isFrozen(d1.dentries));
  });
});

describe("Dtab.show", () => {
  test("entries joined by ';', each prefix=>tree, no spaces except inside trees", () => {
    const d = readDtab(" /foo => /bar ; /s/* => 0.3 * /a & 0.7 * /b ; / => ~ ");
    assert.equal(d.show, "/foo=>/bar;/s/*=>0.30*/a & 0.70*/b;/=>~");
  });

  test("the shown form reads back as an equal dtab", () => {
    const d = readDtab("/a=>/b | (/c & 2*/d);/x/*/y=>!;/=>$");
    assert.ok(readDtab(d.show).equals(d));
  });
});

describe("Dentry and Prefix", () => {
  test("the nop dentry is '/=>~'", () => {
    assert.equal(Dentry.nop.show, "/=>~");
    assert.ok(Dentry.nop.isNop);
    assert.ok(readDentry("/ => ~").isNop);
    assert.ok(!readDentry("/a => ~").isNop);
    assert.ok(!readDentry("/ => !").isNop);
  });

  test("a prefix from a path matches that path and longer ones", () => {
    const p = Prefix.fromPath(readPath("/a/b"));
    assert.ok(p.matches(readPath("/a/b")));
    assert.ok(p.matches(readPath("/a/b/c")));
    assert.ok(!p.matches(readPath("/a")));
    assert.ok(!p.matches(readPath("/a/c")));
    assert.equal(p.show, "/a/b");
  });

  test("the empty prefix shows as '/', a wildcard as '*'", () => {
    assert.equal(Prefix.empty.show, "/");
    assert.equal(new Prefix([ANY, "x", ANY]).show, "/*/x/*");
  });

  test("a wildcard prefix is not equal to a label prefix", () => {
    assert.ok(!new Prefix([ANY]).equals(new Prefix(["*"])));
    assert.equal(new Prefix(["*"]).show, "/\\x2a");
  });
});
