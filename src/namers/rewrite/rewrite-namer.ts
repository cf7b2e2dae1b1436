// The io.l5d.rewrite namer: a path that fits `pattern` becomes `name` (captures filled in), bound further through the dtab; else Neg.

import { Activity, type Name, type Namer, NameTree, type Path } from "../../naming/index.ts";
import type { PathPattern } from "../../naming/path-pattern.ts";
import { PathTemplate, readRewritePattern } from "./path-template.ts";

/**
 * Linkerd's RewritingNamer: `/#/<prefix>/<path>` where `<path>` starts with labels fitting `pattern` gives the
 * path `name` with the captured text filled in, as a name to be bound again through the dtab (so the id is
 * whatever that binds to). The labels past the pattern are dropped, as Linkerd does. A path that does not fit
 * is Neg, so earlier dtab entries are tried.
 */
export class RewriteNamer implements Namer {
  readonly pattern: PathPattern;
  readonly name: PathTemplate;

  /** Throws a RewriteConfigError for a pattern or name that cannot work. */
  constructor(pattern: string, name: string) {
    this.pattern = readRewritePattern(pattern);
    this.name = new PathTemplate(name, pattern);
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    const vars = this.pattern.match(path);
    const rewritten = vars === undefined ? undefined : this.name.fill(vars);
    return Activity.value(rewritten === undefined ? NameTree.neg : NameTree.leaf<Name>(rewritten));
  }
}
