// The io.l5d.rewrite namer: Linkerd's RewritingNamerTest cases, captures and wildcards, refusals, and binding through a dtab.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { ConfiguredNamersInterpreter, NameTree, type Path, readDtab, readPath } from "../../naming/index.ts";
import { namerKinds } from "../../plugins.ts";
import { GlobalNamer } from "../global.ts";
import { PathTemplate, RewriteConfigError, readRewritePattern } from "./path-template.ts";
import { RewriteNamer } from "./rewrite-namer.ts";

/** What the namer gives for `path`: the rewritten path, or `neg`. */
function rewrite(pattern: string, name: string, path: string): string {
  const s = new RewriteNamer(pattern, name).lookup(readPath(path)).sample();
  assert.equal(s.kind, "ok");
  const tree = (s as { value: NameTree<unknown> }).value;
  if (tree.kind === "neg") return "neg";
  assert.equal(tree.kind, "leaf");
  return ((tree as { value: Path }).value as Path).show;
}

describe("io.l5d.rewrite: Linkerd's cases", () => {
  // [pattern, name, path, expected]: the first five are Linkerd's RewritingNamerTest.
  const golden: [string, string, string, string][] = [
    ["/one/two", "/success", "/one/two/three", "/success"],
    ["/one/*/three", "/success", "/one/two/three", "/success"],
    ["/one/*/four", "/success", "/one/two/three", "neg"],
    ["/{foo}/*/three", "/success/{foo}", "/one/two/three", "/success/one"],
    ["/{foo}/*/four", "/success/{foo}", "/one/two/three", "neg"],
    // Captures in any order, used more than once, filled in inside a label.
    ["/{env}/{service}", "/srv/{service}/{env}", "/prod/pong", "/srv/pong/prod"],
    ["/{service}/api", "/srv/{service}-v2/{service}", "/pong/api/users", "/srv/pong-v2/pong"],
    // Captures inside a label, greedy, as Linkerd's PathMatcher: the rest of the label must fit.
    ["/{service}.svc.{ns}", "/k8s/{ns}/{service}", "/pong.svc.prod", "/k8s/prod/pong"],
    ["/{a}-{b}", "/srv/{a}/{b}", "/x-y-z", "/srv/x-y/z"],
    ["/{service}.svc", "/srv/{service}", "/pong.web", "neg"],
    // The labels past the pattern are dropped, not carried along.
    ["/{service}", "/srv/{service}", "/pong/v1/users", "/srv/pong"],
    // A path shorter than the pattern does not match.
    ["/{service}/api", "/srv/{service}", "/pong", "neg"],
    // The leading '/' is optional and a trailing one is ignored.
    ["{service}/", "/srv/{service}", "/pong", "/srv/pong"],
    // A label that needs escaping is captured and filled in in its shown form.
    ["/{service}", "/srv/{service}", "/a\\x20b", "/srv/a\\x20b"],
    ["/a\\x20b/{x}", "/srv/{x}", "/a\\x20b/c", "/srv/c"],
    // Only the labels, no captures: every fitting path goes to the one name.
    ["/", "/srv/default", "/anything/at/all", "/srv/default"],
  ];
  for (const [pattern, name, path, expected] of golden) {
    test(`${pattern} => ${name}: ${path} gives ${expected}`, () => {
      assert.equal(rewrite(pattern, name, path), expected);
    });
  }

  test("a name captured twice keeps the last label", () => {
    assert.equal(rewrite("/{x}/{x}", "/srv/{x}", "/a/b"), "/srv/b");
  });
});

describe("io.l5d.rewrite: what is refused", () => {
  const refused: [string, string, RegExp][] = [
    ["/a//b", "/srv", /empty segment/],
    ["/{a", "/srv", /unmatched brace/],
    ["/{service}", "/srv/{svc}", /\{svc\} is not captured by the pattern "\/\{service\}"/],
    ["/{service}", "srv/{service}", /not a path once its \{variables\} are filled in/],
    ["/{service}", "/srv/{service}/*", /not a path once its \{variables\} are filled in/],
  ];
  for (const [pattern, name, message] of refused) {
    test(`pattern ${pattern}, name ${name}`, () => {
      assert.throws(
        () => {
          readRewritePattern(pattern);
          new PathTemplate(name, pattern);
        },
        (e: Error) => {
          assert.ok(e instanceof RewriteConfigError);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  test("the config schema reports each problem at its key, and needs a prefix", () => {
    const schema = v.array(namerKinds.schema());
    const issues = (config: Record<string, unknown>) => {
      const r = v.safeParse(schema, [{ kind: "io.l5d.rewrite", ...config }]);
      return r.success ? [] : r.issues.map((i) => `${v.getDotPath(i)}: ${i.message}`);
    };
    assert.deepEqual(issues({ prefix: "/rw", pattern: "/{s}", name: "/srv/{s}" }), []);
    assert.deepEqual(issues({ prefix: "/rw", pattern: "/{s}", name: "/srv/{t}" }), [
      '0.name: {t} is not captured by the pattern "/{s}"',
    ]);
    assert.match(
      issues({ prefix: "/rw", pattern: "/a//b", name: "/srv" }).join(),
      /^0\.pattern: empty segment/,
    );
    assert.match(issues({ pattern: "/{s}", name: "/srv/{s}" }).join(), /^0\.prefix/);
  });
});

describe("io.l5d.rewrite through a dtab", () => {
  const rw = new RewriteNamer("/{service}/api", "/srv/{service}");
  const interpreter = new ConfiguredNamersInterpreter(
    [{ prefix: readPath("/#/rw"), namer: rw }],
    new GlobalNamer(),
  );

  function bind(dtab: string, path: string): string {
    const s = interpreter.bind(readDtab(dtab), readPath(path)).sample();
    if (s.kind !== "ok") return s.kind;
    return NameTree.show(s.value, (b) =>
      b.residual.isEmpty ? b.id.show : `${b.id.show}+${b.residual.show}`,
    );
  }

  test("the rewritten name is bound again through the dtab", () => {
    const dtab = "/srv/pong => /$/inet/127.1/8002; /svc => /#/rw";
    assert.equal(bind(dtab, "/svc/pong/api"), "/$/inet/127.1/8002");
    assert.equal(bind(dtab, "/svc/pong/api/v1/users"), "/$/inet/127.1/8002", "the rest dropped");
  });

  test("a path that does not fit is Neg, so an earlier entry is used", () => {
    const dtab = "/svc => /$/inet/127.1/9000; /srv/pong => /$/inet/127.1/8002; /svc => /#/rw";
    assert.equal(bind(dtab, "/svc/pong/other"), "/$/inet/127.1/9000+/pong/other");
    assert.equal(bind("/svc => /#/rw", "/svc/pong/other"), "~", "Neg");
  });
});
