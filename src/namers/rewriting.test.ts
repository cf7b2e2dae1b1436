// Cases follow Linkerd's own HostPortTest, HttpTest and RinetTest (namer/core/src/test/scala/io/buoyant), plus
// edge cases read off its sources (hostport.scala, http.scala, rinet.scala).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Addr,
  BoundName,
  ConfiguredNamersInterpreter,
  type Name,
  type Namer,
  NameTree,
  Path,
  readDtab,
  readPath,
  type State,
  type Timers,
} from "../naming/index.ts";
import { builtinNamers, GlobalNamer } from "./global.ts";
import type { HostLookup } from "./inet/resolver.ts";
import { REWRITING_NAMERS } from "./rewriting.ts";

class FakeTimers implements Timers {
  readonly pending = new Map<number, () => void>();
  #next = 1;
  setTimeout(f: () => void): unknown {
    const id = this.#next++;
    this.pending.set(id, f);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Host lookups answered from a table; anything else is not found. */
function table(hosts: Record<string, string[]>): { lookup: HostLookup; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: async (host) => {
      asked.push(host);
      const ips = hosts[host];
      if (ips === undefined)
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return ips;
    },
  };
}

const timers = new FakeTimers();
const dns = table({ localhost: ["127.0.0.1"], "www.example.com": ["93.184.216.34"] });
const global = new GlobalNamer(builtinNamers({ lookup: dns.lookup, timers }));

/** What Namer.global.lookup gives for a full `/$/...` path, shown: a path, `~` for Neg, or a failure. */
function lookup(path: string): string {
  const s = global.lookup(readPath(path)).sample();
  return showState(s);
}

function showState(s: State<NameTree<Name>>): string {
  if (s.kind === "failed") return `failed: ${s.error.message}`;
  if (s.kind === "pending") return "pending";
  return NameTree.show(s.value, (n) => (n instanceof BoundName ? `bound(${n.id.show})` : n.show));
}

/** The namer of a kind, straight from the rewriting table. */
function namer(kind: string): Namer {
  const n = REWRITING_NAMERS.get(kind) ?? builtinNamers().get(kind);
  assert.ok(n, `a namer for ${kind}`);
  return n;
}

describe("io.buoyant.hostportPfx", () => {
  test("matches IP:PORT", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/127.1:8080/etc"), "/ia/127.1/8080/etc");
  });

  test("matches HOST:PORT", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/google.com:8180/etc"), "/ia/google.com/8180/etc");
  });

  test("does not match HOST:PORT:ETC", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/google.com:8180:abcdef/etc"), "~");
  });

  test("a named port is a DNS label: lower case, at most 63 characters", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/web:http"), "/ia/web/http");
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/web:admin-http"), "/ia/web/admin-http");
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/web:HTTP"), "~");
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/web:-http"), "~");
    assert.equal(lookup(`/$/io.buoyant.hostportPfx/ia/web:${"a".repeat(63)}`), `/ia/web/${"a".repeat(63)}`);
    assert.equal(lookup(`/$/io.buoyant.hostportPfx/ia/web:${"a".repeat(64)}`), "~");
  });

  test("no port, or nothing to rewrite, is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/google.com/etc"), "~");
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/google.com:"), "~");
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia"), "~");
    assert.equal(lookup("/$/io.buoyant.hostportPfx"), "~");
  });

  test("a trailing colon after the port is ignored, as Java's split does", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/google.com:8180:/etc"), "/ia/google.com/8180/etc");
  });

  test("nothing after host:port is fine", () => {
    assert.equal(lookup("/$/io.buoyant.hostportPfx/ia/127.1:8080"), "/ia/127.1/8080");
  });
});

describe("io.buoyant.porthostPfx", () => {
  test("matches IP:PORT", () => {
    assert.equal(lookup("/$/io.buoyant.porthostPfx/ia/127.1:8080/etc"), "/ia/8080/127.1/etc");
  });

  test("matches HOST:PORT with a named port", () => {
    assert.equal(lookup("/$/io.buoyant.porthostPfx/ia/web.svc:grpc"), "/ia/grpc/web.svc");
  });

  test("does not match HOST:PORT:ETC or a bare host", () => {
    assert.equal(lookup("/$/io.buoyant.porthostPfx/ia/google.com:8180:abcdef/etc"), "~");
    assert.equal(lookup("/$/io.buoyant.porthostPfx/ia/google.com/etc"), "~");
  });
});

describe("io.buoyant.http.anyMethod", () => {
  test("drops the method", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyMethod/GET/foo/bar/bah"), "/foo/bar/bah");
  });

  test("not a method is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyMethod/A.B/foo/bar/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.anyMethod/get/foo"), "~");
    assert.equal(lookup("/$/io.buoyant.http.anyMethod/GET1/foo"), "~");
  });

  test("a method alone rewrites to the empty path", () => {
    const s = namer("io.buoyant.http.anyMethod").lookup(Path.utf8("POST")).sample();
    assert.ok(s.kind === "ok" && s.value.kind === "leaf");
    assert.ok(s.value.value instanceof Path && s.value.value.isEmpty);
  });

  test("nothing at all is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyMethod"), "~");
  });
});

describe("io.buoyant.http.anyMethodPfx", () => {
  test("drops the method after the prefix", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyMethodPfx/foo/GET/bar/bah"), "/foo/bar/bah");
    assert.equal(lookup("/$/io.buoyant.http.anyMethodPfx/svc/DELETE"), "/svc");
  });

  test("not a method is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyMethodPfx/foo/A.B/bar/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.anyMethodPfx/GET"), "~");
  });
});

describe("io.buoyant.http.anyHost", () => {
  test("drops the host", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyHost/a.b/foo/bar/bah"), "/foo/bar/bah");
    assert.equal(lookup("/$/io.buoyant.http.anyHost/web-1_x.example.com:8080/foo"), "/foo");
    assert.equal(lookup("/$/io.buoyant.http.anyHost/::1/foo"), "/foo");
  });

  test("not a host is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyHost/a%b/foo/bar/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.anyHost/a#b/foo"), "~");
  });
});

describe("io.buoyant.http.anyHostPfx", () => {
  test("drops the host after the prefix", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyHostPfx/foo/a.b/bar/bah"), "/foo/bar/bah");
  });

  test("not a host is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.anyHostPfx/foo/a%b/bar/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.anyHostPfx/foo"), "~");
  });
});

describe("io.buoyant.http.subdomainOf", () => {
  test("keeps the subdomain", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/foo.a.b/bar/bah"), "/foo/bar/bah");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/buoyant.io/x.y.buoyant.io"), "/x.y");
  });

  test("drops a port on the host", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/foo.a.b:9090/bar"), "/foo/bar");
  });

  test("the domain itself, another domain, or a mere suffix is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/a.b/bar"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/foo.c.d/bar"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/fooa.b/bar"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/.a.b/bar"), "~");
  });

  test("a domain or host that is not a host is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a%b/foo.a%b/bar"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOf/a.b/f%o.a.b/bar"), "~");
  });
});

describe("io.buoyant.http.subdomainOfPfx", () => {
  test("keeps the subdomain after the prefix", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar.a.b/bah"), "/foo/bar/bah");
  });

  test("with underscore", () => {
    assert.equal(
      lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar_suffix.a.b/bah"),
      "/foo/bar_suffix/bah",
    );
  });

  test("with dash", () => {
    assert.equal(
      lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar-suffix.a.b/bah"),
      "/foo/bar-suffix/bah",
    );
  });

  test("with port", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar.a.b:9090/bah"), "/foo/bar/bah");
  });

  test("not a subdomain is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/a.b/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar.c.d/bah"), "~");
    assert.equal(lookup("/$/io.buoyant.http.subdomainOfPfx/a.b/foo"), "~");
  });
});

describe("io.buoyant.http.domainToPath", () => {
  test("reverses the labels of the host", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPath/foo.buoyant.io"), "/io/buoyant/foo");
    assert.equal(
      lookup("/$/io.buoyant.http.domainToPath/foo.buoyant.io/resource/name"),
      "/io/buoyant/foo/resource/name",
    );
    assert.equal(lookup("/$/io.buoyant.http.domainToPath/localhost"), "/localhost");
  });

  test("a fully qualified host (trailing dot) maps as without it, as Java's split does", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPath/foo.buoyant.io./x"), "/io/buoyant/foo/x");
  });

  test("a port stays on the last label, as in Linkerd", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPath/foo.buoyant.io:8080"), "/io:8080/buoyant/foo");
  });

  test("not a host is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPath/a%b/x"), "~");
  });
});

describe("io.buoyant.http.domainToPathPfx", () => {
  test("reverses the labels of the host after the prefix", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPathPfx/pfx/foo.buoyant.io"), "/pfx/io/buoyant/foo");
    assert.equal(
      lookup("/$/io.buoyant.http.domainToPathPfx/host/www.example.com/a/b"),
      "/host/com/example/www/a/b",
    );
  });

  test("a fully qualified host (trailing dot) maps as without it", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPathPfx/pfx/foo.buoyant.io."), "/pfx/io/buoyant/foo");
  });

  test("not a host, or no host at all, is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.http.domainToPathPfx/pfx/a%b"), "~");
    assert.equal(lookup("/$/io.buoyant.http.domainToPathPfx/pfx"), "~");
  });
});

describe("io.buoyant.rinet", () => {
  test("binds port then host, with its own id and the rest as residual (Linkerd's RinetTest)", async () => {
    const s = global.lookup(readPath("/$/io.buoyant.rinet/12345/localhost/residual")).sample();
    assert.ok(s.kind === "ok" && s.value.kind === "leaf");
    const bound = s.value.value;
    assert.ok(bound instanceof BoundName);
    assert.equal(bound.id.show, "/$/io.buoyant.rinet/12345/localhost");
    assert.equal(bound.residual.show, "/residual");
    const seen: string[] = [];
    const sub = bound.addr.observe((a) => seen.push(Addr.describe(a)));
    await flush();
    assert.equal(seen.at(-1), "127.0.0.1:12345");
    sub.close();
    assert.equal(timers.pending.size, 0);
  });

  test("an IP literal binds at once", () => {
    const s = global.lookup(readPath("/$/io.buoyant.rinet/8080/127.1")).sample();
    assert.ok(s.kind === "ok" && s.value.kind === "leaf" && s.value.value instanceof BoundName);
    assert.equal(s.value.value.id.show, "/$/io.buoyant.rinet/8080/127.1");
    assert.ok(s.value.value.residual.isEmpty);
    assert.equal(Addr.describe(s.value.value.addr.sample()), "127.0.0.1:8080");
  });

  test("fewer than two labels is Neg", () => {
    assert.equal(lookup("/$/io.buoyant.rinet/8080"), "~");
    assert.equal(lookup("/$/io.buoyant.rinet"), "~");
  });

  test("a port out of range fails", () => {
    assert.match(lookup("/$/io.buoyant.rinet/65536/127.0.0.1"), /^failed: .*port out of range/);
  });
});

describe("rewriting namers end to end, through a dtab", () => {
  const interpreter = new ConfiguredNamersInterpreter([], global);

  function bind(dtab: string, path: string): string {
    const s = interpreter.bind(readDtab(dtab), readPath(path)).sample();
    if (s.kind !== "ok") return s.kind === "failed" ? `failed: ${s.error.message}` : "pending";
    return NameTree.show(s.value, (b) =>
      b.residual.isEmpty ? b.id.show : `${b.id.show}+${b.residual.show}`,
    );
  }

  test("domainToPathPfx: /svc/www.example.com to the entry for /host/com/example/www", () => {
    const dtab =
      "/svc => /$/io.buoyant.http.domainToPathPfx/host; /host/com/example/www => /$/inet/127.0.0.1/80";
    assert.equal(bind(dtab, "/svc/www.example.com"), "/$/inet/127.0.0.1/80");
    assert.equal(bind(dtab, "/svc/www.example.com/path/rest"), "/$/inet/127.0.0.1/80+/path/rest");
    assert.equal(bind(dtab, "/svc/api.example.com"), "~", "no entry for /host/com/example/api");
  });

  test("the bound address of a domainToPathPfx binding", () => {
    const dtab = readDtab(
      "/svc => /$/io.buoyant.http.domainToPathPfx/host; /host/com/example/www => /$/inet/127.0.0.1/80",
    );
    const s = interpreter.bind(dtab, readPath("/svc/www.example.com")).sample();
    assert.ok(s.kind === "ok" && s.value.kind === "leaf");
    assert.equal(Addr.describe(s.value.value.addr.sample()), "127.0.0.1:80");
  });

  test("a Linkerd-style HTTP dtab: method and host dropped, then host:port split", () => {
    const dtab = [
      "/http/1.1 => /$/io.buoyant.http.anyMethodPfx/svc",
      "/svc => /$/io.buoyant.http.anyHostPfx/hp",
      "/hp => /$/io.buoyant.hostportPfx/inet",
      "/inet => /$/inet",
    ].join(";");
    // /http/1.1/GET/ignored.host/10.0.0.1:8080 -> /svc/ignored.host/... -> /hp/10.0.0.1:8080 -> /inet/10.0.0.1/8080
    assert.equal(bind(dtab, "/http/1.1/GET/ignored.host/10.0.0.1:8080"), "/$/inet/10.0.0.1/8080");
  });

  test("porthostPfx feeding rinet", () => {
    const dtab = "/svc => /$/io.buoyant.porthostPfx/rinet; /rinet => /$/io.buoyant.rinet";
    assert.equal(bind(dtab, "/svc/127.1:4140/x"), "/$/io.buoyant.rinet/4140/127.1+/x");
  });

  test("subdomainOfPfx routes subdomains and falls back for everything else", () => {
    const dtab = [
      "/svc => /$/inet/127.1/9999",
      "/svc => /$/io.buoyant.http.subdomainOfPfx/example.com/sub",
      "/sub/api => /$/inet/10.0.0.1/80",
    ].join(";");
    assert.equal(bind(dtab, "/svc/api.example.com"), "/$/inet/10.0.0.1/80");
    assert.equal(bind(dtab, "/svc/www.other.org"), "/$/inet/127.1/9999+/www.other.org");
  });

  test("subdomainOf, anyHost and domainToPath in a chain", () => {
    const dtab = [
      "/a => /$/io.buoyant.http.subdomainOf/example.com",
      "/b => /$/io.buoyant.http.anyHost",
      "/c => /$/io.buoyant.http.domainToPath",
      "/com/example => /$/inet/127.0.0.1",
    ].join(";");
    // /c/8080.example.com -> /com/example/8080 -> /$/inet/127.0.0.1/8080
    assert.equal(bind(dtab, "/c/8080.example.com"), "/$/inet/127.0.0.1/8080");
    // /b/any.host/c/8081.example.com -> /c/8081.example.com -> ...
    assert.equal(bind(dtab, "/b/any.host/c/8081.example.com"), "/$/inet/127.0.0.1/8081");
    // /a/b.example.com/any.host/c/... : subdomain b, then anyHost
    assert.equal(bind(dtab, "/a/b.example.com/h/c/8082.example.com"), "/$/inet/127.0.0.1/8082");
  });

  test("rinet through a dtab, with a host name resolved by the injected lookup", async () => {
    const dtab = readDtab("/svc => /$/io.buoyant.rinet/443");
    const s = interpreter.bind(dtab, readPath("/svc/www.example.com/index.html")).sample();
    assert.ok(s.kind === "ok" && s.value.kind === "leaf");
    const b = s.value.value;
    assert.equal(b.id.show, "/$/io.buoyant.rinet/443/www.example.com");
    assert.equal(b.residual.show, "/index.html");
    const seen: string[] = [];
    const sub = b.addr.observe((a) => seen.push(Addr.describe(a)));
    await flush();
    assert.deepEqual(seen, ["pending", "93.184.216.34:443"]);
    sub.close();
    assert.equal(timers.pending.size, 0);
  });
});
