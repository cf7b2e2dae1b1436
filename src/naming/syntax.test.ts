// Parsing and showing paths, name trees, dentries and dtabs: cases from Finagle's NameTreeParsersTest, PathTest,
// DtabTest and NameTreeTest, and from the grammar in the Linkerd 1 reference (section 2.1).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ANY, Dentry, Dtab, Prefix } from "./dtab.ts";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { MAX_NESTING, NameSyntaxError, readDentry, readDtab, readNameTree, readPath } from "./syntax.ts";

const leaf = (...labels: string[]) => NameTree.leaf(Path.utf8(...labels));
const w = NameTree.weighted;
const showTree = (t: NameTree<Path>) => NameTree.show(t, (p) => p.show);
const treeEquals = (a: NameTree<Path>, b: NameTree<Path>) => NameTree.equals(a, b, (x, y) => x.equals(y));

function assertTree(actual: NameTree<Path>, expected: NameTree<Path>): void {
  assert.ok(treeEquals(actual, expected), `got ${showTree(actual)}, expected ${showTree(expected)}`);
}

/** Asserts that `read(text)` fails with a NameSyntaxError at the given place, expecting and finding what is said. */
function assertSyntaxError(
  read: (text: string) => unknown,
  text: string,
  where: { line: number; column: number; expected?: string; found?: string },
): void {
  assert.throws(
    () => read(text),
    (e: unknown) => {
      assert.ok(e instanceof NameSyntaxError, `not a NameSyntaxError: ${String(e)}`);
      assert.equal(e.line, where.line, `line of: ${e.message}`);
      assert.equal(e.column, where.column, `column of: ${e.message}`);
      if (where.expected !== undefined) assert.equal(e.expected, where.expected);
      if (where.found !== undefined) assert.equal(e.found, where.found);
      assert.equal(e.message, `expected ${e.expected} at ${e.line}:${e.column} (found ${e.found})`);
      return true;
    },
  );
}

describe("readPath", () => {
  test("'/' is the empty path", () => {
    const p = readPath("/");
    assert.ok(p.isEmpty);
    assert.equal(p.size, 0);
    assert.equal(p.show, "/");
  });

  test("surrounding whitespace is allowed", () => {
    assert.ok(readPath("  /foo/bar  ").equals(Path.utf8("foo", "bar")));
  });

  test("\\xNN escapes read as bytes, in either case of hex digit", () => {
    assert.ok(readPath("/\\x66\\x6f\\x6F").equals(Path.utf8("foo")));
    assert.deepEqual(readPath("/a\\x2fb/\\x00").elems, ["a/b", "\0"]);
  });

  test("a label may hold every showable character, '#', '$' and '%' included", () => {
    const p = readPath("/#/io.l5d.fs/$/a_b:c-d%e/0");
    assert.deepEqual(p.elems, ["#", "io.l5d.fs", "$", "a_b:c-d%e", "0"]);
    assert.equal(p.show, "/#/io.l5d.fs/$/a_b:c-d%e/0");
  });

  test("show gives the parsed text back (Finagle's PathTest)", () => {
    assert.equal(readPath("/foo/bar").show, "/foo/bar");
  });

  test("show escapes every byte that is not showable, with two lower-case hex digits", () => {
    assert.equal(Path.of("a b", "\n", "\xff", "é").show, "/a\\x20b/\\x0a/\\xff/\\xe9");
    assert.equal(Path.utf8("é").show, "/\\xc3\\xa9");
    assert.ok(readPath(Path.utf8("é", "/", "*").show).equals(Path.utf8("é", "/", "*")));
  });

  test("labels read from escapes equal labels made from UTF-8 text", () => {
    const p = readPath("/caf\\xc3\\xa9");
    assert.ok(p.equals(Path.utf8("café")));
    assert.deepEqual(p.utf8Elems, ["café"]);
  });

  test("malformed paths are refused, saying where", () => {
    assertSyntaxError(readPath, "", { line: 1, column: 1, expected: "'/'", found: "end of input" });
    assertSyntaxError(readPath, "/foo/bar/", {
      line: 1,
      column: 10,
      expected: "a label character",
      found: "end of input",
    });
    assertSyntaxError(readPath, "/foo^bar", { line: 1, column: 5, found: "'^'" });
    assertSyntaxError(readPath, "/{}", { line: 1, column: 2, found: "'{'" });
    assertSyntaxError(readPath, "/\\?", { line: 1, column: 3, found: "'?'" });
    assertSyntaxError(readPath, "/\\x?", { line: 1, column: 4, expected: "a hex digit", found: "'?'" });
    assertSyntaxError(readPath, "/\\x0?", { line: 1, column: 5, expected: "a hex digit", found: "'?'" });
    assertSyntaxError(readPath, "/a//b", { line: 1, column: 4, expected: "a label character", found: "'/'" });
    assertSyntaxError(readPath, "foo", { line: 1, column: 1, expected: "'/'", found: "'f'" });
  });

  test("a character outside ASCII is named by its code point", () => {
    assertSyntaxError(readPath, "/caf\u00e9", { line: 1, column: 5, found: "U+00E9" });
  });
});

describe("readNameTree", () => {
  test("'!', '~' and '$' are Fail, Neg and Empty (Finagle's NameTreeParsersTest)", () => {
    assertTree(readNameTree("! | ~ | $"), NameTree.alt(NameTree.fail, NameTree.neg, NameTree.empty));
  });

  test("a path is a leaf", () => {
    assertTree(readNameTree("/foo/bar"), leaf("foo", "bar"));
  });

  test("'&' makes a union with default weights of 1", () => {
    const t = readNameTree("  /foo & /bar  ");
    assertTree(t, NameTree.union(w(1, leaf("foo")), w(1, leaf("bar"))));
  });

  test("'|' makes an alternation", () => {
    assertTree(readNameTree("  /foo | /bar  "), NameTree.alt(leaf("foo"), leaf("bar")));
  });

  test("'&' binds tighter than '|'", () => {
    assertTree(
      readNameTree("/foo & /bar | /bar & /baz"),
      NameTree.alt(
        NameTree.union(w(1, leaf("foo")), w(1, leaf("bar"))),
        NameTree.union(w(1, leaf("bar")), w(1, leaf("baz"))),
      ),
    );
  });

  test("weights: integers, decimals and a leading '.', with whitespace around '*'", () => {
    assertTree(
      readNameTree("1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz"),
      NameTree.alt(
        NameTree.union(w(1, leaf("foo")), w(2, leaf("bar"))),
        NameTree.union(w(0.5, leaf("bar")), w(0.5, leaf("baz"))),
      ),
    );
    assertTree(readNameTree("0.3*/a&0.7*/b"), NameTree.union(w(0.3, leaf("a")), w(0.7, leaf("b"))));
  });

  test("a single weighted branch is just its tree", () => {
    assertTree(readNameTree("0.3 * /a"), leaf("a"));
  });

  test("parentheses group, and nest", () => {
    assertTree(
      readNameTree("/a & (/b | /c)"),
      NameTree.union(w(1, leaf("a")), w(1, NameTree.alt(leaf("b"), leaf("c")))),
    );
    assertTree(readNameTree("((/a))"), leaf("a"));
    assertTree(
      readNameTree("/a | (/b | (/c & 2*/d))"),
      NameTree.alt(leaf("a"), NameTree.alt(leaf("b"), NameTree.union(w(1, leaf("c")), w(2, leaf("d"))))),
    );
  });

  test("a weight applies to a parenthesized tree", () => {
    assertTree(
      readNameTree("0.25*(/a | /b) & 0.75*/c"),
      NameTree.union(w(0.25, NameTree.alt(leaf("a"), leaf("b"))), w(0.75, leaf("c"))),
    );
  });

  test("whitespace and comments may stand between tokens", () => {
    assertTree(
      readNameTree("\t/a   # first choice\n | # then\n\n  /b\r\n"),
      NameTree.alt(leaf("a"), leaf("b")),
    );
  });

  test(`parentheses nest up to ${MAX_NESTING} deep, and no deeper`, () => {
    const nested = (n: number) => `${"(".repeat(n)}/a${")".repeat(n)}`;
    assertTree(readNameTree(nested(MAX_NESTING)), leaf("a"));
    assertSyntaxError(readNameTree, nested(MAX_NESTING + 1), { line: 1, column: MAX_NESTING + 1 });
  });

  test("malformed trees are refused, saying where", () => {
    const aName = "a name (a path, '!', '~', '$' or '(')";
    assertSyntaxError(readNameTree, "", { line: 1, column: 1, expected: aName, found: "end of input" });
    assertSyntaxError(readNameTree, "#", { line: 1, column: 2, expected: aName, found: "end of input" });
    assertSyntaxError(readNameTree, "/foo &", { line: 1, column: 7, expected: aName, found: "end of input" });
    assertSyntaxError(readNameTree, "/foo | ", { line: 1, column: 8, expected: aName });
    assertSyntaxError(readNameTree, "/foo & 0.1.2 * /bar", { line: 1, column: 11, found: "'.'" });
    assertSyntaxError(readNameTree, "/foo & . * /bar", { line: 1, column: 8, expected: "a weight" });
    assertSyntaxError(readNameTree, "1 /foo", { line: 1, column: 3, expected: "'*' after the weight" });
    assertSyntaxError(readNameTree, "(/a | /b", { line: 1, column: 9, expected: "')'" });
    assertSyntaxError(readNameTree, "/a /b", {
      line: 1,
      column: 4,
      expected: "'|', '&' or end of input",
      found: "'/'",
    });
    assertSyntaxError(readNameTree, "/a\n| /b\n| ^", { line: 3, column: 3, found: "'^'" });
  });
});

describe("showing name trees", () => {
  test("weights other than 1 print with two decimals; weight 1 prints none", () => {
    assert.equal(showTree(readNameTree("0.3 * /a & 0.7 * /b")), "0.30*/a & 0.70*/b");
    assert.equal(showTree(readNameTree("2*/a & 1*/b & 1.0*/c")), "2.00*/a & /b & /c");
    assert.equal(showTree(readNameTree(".125*/a & /b")), "0.13*/a & /b");
  });

  test("alternatives are joined by ' | ', union branches by ' & '", () => {
    assert.equal(showTree(readNameTree("/a|/b|~|!|$")), "/a | /b | ~ | ! | $");
    assert.equal(showTree(readNameTree("/a&/b|/c")), "/a & /b | /c");
  });

  test("nested alternations and unions are parenthesized only where needed", () => {
    assert.equal(showTree(readNameTree("/a & (/b | /c)")), "/a & (/b | /c)");
    assert.equal(showTree(readNameTree("/a | (/b | /c)")), "/a | (/b | /c)");
    assert.equal(showTree(readNameTree("/a & (/b & /c)")), "/a & (/b & /c)");
    assert.equal(showTree(readNameTree("(/a & /b) | /c")), "/a & /b | /c");
    assert.equal(showTree(readNameTree("((/a))")), "/a");
    assert.equal(showTree(readNameTree("0.5*(/a | /b) & 0.5*/c")), "0.50*(/a | /b) & 0.50*/c");
  });

  test("single-child alternations and unions show as their child", () => {
    const t = NameTree.alt(NameTree.union(w(0.5, NameTree.alt(leaf("a")))));
    assert.equal(showTree(t), "/a");
    assert.equal(
      showTree(NameTree.union(w(1, leaf("a")), w(1, NameTree.alt(NameTree.union(w(3, leaf("b"))))))),
      "/a & /b",
    );
  });

  test("every shown form reads back as the same tree", () => {
    for (const text of [
      "/a",
      "~",
      "! | ~ | $",
      "/foo & /bar | /bar & /baz",
      "0.30*/a & 0.70*(/b | /c) | $",
      "/a | (/b | /c & 2.00*/d) | !",
      "/#/io.l5d.fs/\\x00\\xff & /$/inet/127.1/8080",
    ]) {
      const t = readNameTree(text);
      assert.equal(showTree(t), text);
      assertTree(readNameTree(showTree(t)), t);
    }
  });
});

describe("readDentry", () => {
  test("the empty prefix, with and without spaces (Finagle's NameTreeParsersTest)", () => {
    for (const text of ["/=>!", "/ => !", "  /\t=>\n! "]) {
      const d = readDentry(text);
      assert.equal(d.prefix.size, 0);
      assert.equal(d.dst.kind, "fail");
      assert.equal(d.show, "/=>!");
    }
  });

  test("'*' in a prefix is a wildcard element", () => {
    const d = readDentry("/foo/*/bar => !");
    assert.deepEqual(d.prefix.elems, ["foo", ANY, "bar"]);
    assert.ok(d.prefix.equals(new Prefix(["foo", ANY, "bar"])));
    assert.equal(d.prefix.show, "/foo/*/bar");
    assert.ok(d.prefix.hasWildcard);
  });

  test("a prefix of labels only", () => {
    const d = readDentry("/foo/bar/baz => !");
    assert.deepEqual(d.prefix.elems, ["foo", "bar", "baz"]);
    assert.equal(d.prefix.hasWildcard, false);
  });

  test("the destination is a whole tree", () => {
    const d = readDentry("/svc => 0.3*/a & 0.7*/b | /c");
    assertTree(d.dst, NameTree.alt(NameTree.union(w(0.3, leaf("a")), w(0.7, leaf("b"))), leaf("c")));
    assert.equal(d.show, "/svc=>0.30*/a & 0.70*/b | /c");
    assert.deepEqual(d.toJSON(), { prefix: "/svc", dst: "0.30*/a & 0.70*/b | /c" });
  });

  test("'=>' must be contiguous, and errors say where", () => {
    assertSyntaxError(readDentry, "/svc/ping = > /b", {
      line: 1,
      column: 11,
      expected: "'=>'",
      found: "'='",
    });
    assertSyntaxError(readDentry, "/svc/ping -> /b", { line: 1, column: 11, expected: "'=>'", found: "'-'" });
    assertSyntaxError(readDentry, "/foo/*bar/baz => !", {
      line: 1,
      column: 7,
      expected: "'=>'",
      found: "'b'",
    });
    assertSyntaxError(readDentry, "/&!", { line: 1, column: 2, expected: "'=>'", found: "'&'" });
    assertSyntaxError(readDentry, "svc => /b", { line: 1, column: 1, found: "'s'" });
    assertSyntaxError(readDentry, "/svc =>", { line: 1, column: 8, found: "end of input" });
  });

  test("the message reads as expected-at-line:column", () => {
    assert.throws(() => readDentry("/svc/ping = > /b"), {
      name: "NameSyntaxError",
      message: "expected '=>' at 1:11 (found '=')",
    });
  });

  test("the excerpt points a caret at the column", () => {
    try {
      readDtab("/a => /b;\n/c -> /d");
      assert.fail("should not parse");
    } catch (e) {
      assert.ok(e instanceof NameSyntaxError);
      assert.equal(e.excerpt, "  /c -> /d\n     ^");
    }
  });
});

describe("readDtab", () => {
  test("the empty text is the empty dtab, as are whitespace and comments", () => {
    for (const text of ["", "   \n\t", "# nothing here\n  # still nothing"]) {
      const d = readDtab(text);
      assert.ok(d.isEmpty);
      assert.equal(d.size, 0);
      assert.equal(d.show, "");
    }
  });

  test("one dentry, surrounded by whitespace", () => {
    const d = readDtab("  /=>!  ");
    assert.equal(d.size, 1);
    assert.equal(d.show, "/=>!");
  });

  test("a trailing ';' is allowed (Finagle's DtabTest)", () => {
    assert.equal(readDtab("/=>!;").size, 1);
    const d = readDtab(`
      /b => /c;
      /a => /b;
      `);
    assert.equal(d.size, 2);
    assert.equal(d.show, "/b=>/c;/a=>/b");
  });

  test("dentries are kept in order", () => {
    const d = readDtab("/=>!;/foo=>/bar");
    assert.equal(d.size, 2);
    assert.ok(d.dentries[0]!.equals(new Dentry(Prefix.empty, NameTree.fail)));
    assert.ok(d.dentries[1]!.equals(new Dentry(Prefix.fromPath(Path.utf8("foo")), leaf("bar"))));
  });

  test("'#' starts a comment wherever whitespace may stand, but is a label inside a path", () => {
    const d = readDtab(`# routing for the web tier
      /svc => /#/io.l5d.fs;   # files
      /svc/web => /srv/web # the override
        | /srv/web-old;
    `);
    assert.equal(d.show, "/svc=>/#/io.l5d.fs;/svc/web=>/srv/web | /srv/web-old");
    assert.deepEqual(d.dentries[0]!.dst.kind === "leaf" && d.dentries[0]!.dst.value.elems, [
      "#",
      "io.l5d.fs",
    ]);
  });

  test("';;' is an error, as is a lone ';'", () => {
    const prefix = "'/' (a dentry starts with a path prefix)";
    assertSyntaxError(readDtab, "/a=>/b;;", { line: 1, column: 8, expected: prefix, found: "';'" });
    assertSyntaxError(readDtab, "/a => /b;\n/c => /d;;", {
      line: 2,
      column: 10,
      expected: prefix,
      found: "';'",
    });
    assertSyntaxError(readDtab, ";", { line: 1, column: 1, expected: prefix });
    assertSyntaxError(readDtab, "/a=>/b; ;", { line: 1, column: 9 });
  });

  test("entries must be separated by ';'", () => {
    assertSyntaxError(readDtab, "/a => /b\n  # c\n  /c => /d", {
      line: 3,
      column: 3,
      expected: "';' or end of input",
      found: "'/'",
    });
  });

  test("errors on later lines count lines and columns from 1", () => {
    assertSyntaxError(readDtab, "/a => /b;\n/c => /d;\n\n   /e => (/f | /g;", {
      line: 4,
      column: 18,
      expected: "')'",
      found: "';'",
    });
    assertSyntaxError(readDtab, "/a => /b;\n/c = /d", { line: 2, column: 4, expected: "'=>'" });
  });

  test("show joins entries by ';' with no spaces; pretty gives one per line", () => {
    const d = readDtab("/svc => /#/io.l5d.fs ; /svc/b => /srv/b2 | /srv/b1 ; /srv => /#/io.l5d.fs");
    assert.equal(d.show, "/svc=>/#/io.l5d.fs;/svc/b=>/srv/b2 | /srv/b1;/srv=>/#/io.l5d.fs");
    assert.equal(String(d), d.show);
    assert.equal(d.pretty, "/svc => /#/io.l5d.fs;\n/svc/b => /srv/b2 | /srv/b1;\n/srv => /#/io.l5d.fs;");
    assert.ok(readDtab(d.show).equals(d));
    assert.ok(readDtab(d.pretty).equals(d));
  });

  test("the JSON form is Linkerd's list of {prefix, dst}", () => {
    const d = readDtab("/tshirt => /suit; /s/*/x => /a & 0.5*/b");
    assert.deepEqual(JSON.parse(JSON.stringify(d)), [
      { prefix: "/tshirt", dst: "/suit" },
      { prefix: "/s/*/x", dst: "/a & 0.50*/b" },
    ]);
  });

  test("an escaped prefix label shows escaped", () => {
    const d = readDtab("/a\\x20b/* => /c");
    assert.deepEqual(d.dentries[0]!.prefix.elems, ["a b", ANY]);
    assert.equal(d.show, "/a\\x20b/*=>/c");
  });

  test("a dtab read twice is equal, and differs from another", () => {
    assert.ok(readDtab("/a=>/b;/c=>/d").equals(readDtab(" /a => /b ; /c => /d ")));
    assert.ok(!readDtab("/a=>/b;/c=>/d").equals(readDtab("/c=>/d;/a=>/b")));
    assert.ok(!readDtab("/a=>/b").equals(readDtab("/a=>/b | /c")));
    assert.ok(!readDtab("/a=>0.5*/b & /c").equals(readDtab("/a=>/b & /c")));
    assert.ok(!readDtab("/*=>/b").equals(readDtab("/a=>/b")));
    assert.ok(readDtab("").equals(Dtab.empty));
  });
});
