import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Path } from "../naming/index.ts";
import { setDstBound, setDstService } from "./dst-headers.ts";
import { HeaderList } from "./header-list.ts";
import {
  connectionNominations,
  HOP_BY_HOP_HEADERS,
  isHopByHop,
  isProtectedFromNomination,
  stripHopByHop,
  stripRequestHopByHop,
} from "./hop-by-hop.ts";

const LINKERD_HOP_BY_HOP = [
  "Connection",
  "Proxy-Authenticate",
  "Proxy-Authorization",
  "TE",
  "Trailer",
  "Transfer-Encoding",
  "Upgrade",
];

describe("stripHopByHop", () => {
  test("Linkerd's golden case: every hop-by-hop header goes", () => {
    const h = HeaderList.of(LINKERD_HOP_BY_HOP.map((n) => [n, "Some Value"]));
    stripHopByHop(h);
    assert.equal(h.size, 0);
  });

  test("Linkerd's golden case: every header listed in Connection goes", () => {
    const h = HeaderList.of([
      ["Connection", "Keep-Alive, Foo, Bar"],
      ["Keep-Alive", "timeout=30"],
      ["Foo", "abc"],
      ["Bar", "def"],
    ]);
    assert.deepEqual(stripHopByHop(h), ["connection", "keep-alive", "foo", "bar"]);
    assert.equal(h.size, 0);
  });

  test("also Keep-Alive and Proxy-Connection, un-nominated", () => {
    const h = HeaderList.of([
      ["Keep-Alive", "timeout=5"],
      ["Proxy-Connection", "keep-alive"],
      ["Accept", "*/*"],
    ]);
    stripHopByHop(h);
    assert.deepEqual(h.toRaw(), ["Accept", "*/*"]);
  });

  test("nominations from every Connection line, any case, with stray commas and spaces", () => {
    const h = HeaderList.of([
      ["connection", " ,x-a ,, "],
      ["X-B", "2"],
      ["CONNECTION", "X-b\t"],
      ["x-A", "1"],
      ["x-a", "1b"],
      ["X-C", "3"],
    ]);
    stripHopByHop(h);
    assert.deepEqual(h.toRaw(), ["X-C", "3"]);
  });

  test("end-to-end headers stay, in order, case kept", () => {
    const raw = ["Host", "web", "Content-Length", "3", "X-Thing", "a", "Via", "1.1 x", "x-thing", "b"];
    const h = new HeaderList(raw);
    assert.deepEqual(stripHopByHop(h), []);
    assert.deepEqual(h.toRaw(), raw);
  });

  test("on a response, whatever is nominated goes (nothing is refused)", () => {
    const h = HeaderList.of([
      ["Connection", "close, l5d-err, Content-Length"],
      ["l5d-err", "oops"],
      ["Content-Length", "4"],
      ["Content-Type", "text/plain"],
    ]);
    stripHopByHop(h);
    assert.deepEqual(h.toRaw(), ["Content-Type", "text/plain"]);
  });
});

describe("stripRequestHopByHop", () => {
  test("strips like stripHopByHop when nothing protected is nominated", () => {
    const h = HeaderList.of([
      ["Connection", "keep-alive, X-Debug"],
      ["X-Debug", "1"],
      ["TE", "trailers"],
      ["Host", "web"],
    ]);
    assert.deepEqual(stripRequestHopByHop(h), { kind: "stripped", removed: ["connection", "x-debug", "te"] });
    assert.deepEqual(h.toRaw(), ["Host", "web"]);
  });

  test("refuses (and leaves the headers alone) when Host, Content-Length, l5d-*, Forwarded or X-Forwarded-* is nominated", () => {
    for (const name of [
      "Host",
      "content-length",
      "l5d-dtab",
      "L5D-Dst-Service",
      "l5d-ctx-trace",
      "X-Forwarded-For",
      "x-forwarded-proto",
      "Forwarded",
    ]) {
      const h = HeaderList.of([
        ["Connection", `close, ${name}`],
        [name, "v"],
      ]);
      const before = h.toRaw();
      const r = stripRequestHopByHop(h);
      assert.equal(r.kind, "refused", name);
      assert.equal(r.kind === "refused" && r.header, name.toLowerCase());
      assert.match(r.kind === "refused" ? r.message : "", /Connection header may not nominate/);
      assert.deepEqual(h.toRaw(), before);
    }
  });

  test("a nomination in a second Connection line is refused too", () => {
    const h = HeaderList.of([
      ["Connection", "keep-alive"],
      ["Connection", "host"],
    ]);
    assert.equal(stripRequestHopByHop(h).kind, "refused");
  });
});

describe("the helpers", () => {
  test("connectionNominations: lower case, trimmed, no empties or repeats", () => {
    const h = HeaderList.of([
      ["Connection", "Upgrade, , X-A"],
      ["Connection", "x-a,KEEP-ALIVE"],
    ]);
    assert.deepEqual(connectionNominations(h), ["upgrade", "x-a", "keep-alive"]);
  });

  test("isHopByHop and isProtectedFromNomination", () => {
    for (const n of HOP_BY_HOP_HEADERS) assert.ok(isHopByHop(n.toUpperCase()));
    assert.ok(!isHopByHop("content-length"));
    assert.ok(isProtectedFromNomination("X-FORWARDED-HOST"));
    assert.ok(!isProtectedFromNomination("x-forwarded"));
    assert.ok(!isProtectedFromNomination("l5d"));
    assert.ok(!isProtectedFromNomination("cookie"));
  });
});

// Properties --------------------------------------------------------------------------------------------------

const tokenChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.!#$%&'*+^`|~".split(""));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const interesting = fc.constantFrom(
  ...HOP_BY_HOP_HEADERS,
  "Connection",
  "TE",
  "Upgrade",
  "Host",
  "Content-Length",
  "Via",
  "X-Forwarded-For",
  "l5d-dst-service",
  "l5d-dst-client",
  "L5D-DST-RESIDUAL",
  "x-a",
  "X-A",
);
const headerName = fc.oneof(token, interesting);
const headerValue = fc.string({ unit: fc.constantFrom(..."abc ,\t-/=;XYZ".split("")), maxLength: 16 });
/** A Connection value: names (any case), commas, spaces; sometimes nominating what we are about to add. */
const connectionValue = fc
  .array(fc.tuple(headerName, fc.constantFrom(",", ", ", " ,", ",,", "\t,")), { maxLength: 6 })
  .map((items) => items.map(([n, sep]) => `${n}${sep}`).join(""));
const headerLines = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(headerName, headerValue) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom("Connection", "connection", "CONNECTION"), connectionValue),
    },
  ),
  { maxLength: 20 },
);

function nominatedIn(raw: readonly string[]): Set<string> {
  return new Set(connectionNominations(new HeaderList(raw)));
}

describe("properties", () => {
  test("after stripping, no hop-by-hop or nominated header remains, and every other line is kept in order", () => {
    fc.assert(
      fc.property(headerLines, (lines) => {
        const h = HeaderList.of(lines);
        const nominated = nominatedIn(h.toRaw());
        stripHopByHop(h);
        for (const [name] of h.entries()) {
          assert.ok(!isHopByHop(name), name);
          assert.ok(!nominated.has(name.toLowerCase()), name);
        }
        const expected = lines.filter(([n]) => !isHopByHop(n) && !nominated.has(n.toLowerCase()));
        assert.deepEqual([...h.entries()], expected);
      }),
      { numRuns: 500 },
    );
  });

  test("stripping is idempotent", () => {
    fc.assert(
      fc.property(headerLines, (lines) => {
        const h = HeaderList.of(lines);
        stripHopByHop(h);
        const once = h.toRaw();
        assert.deepEqual(stripHopByHop(h), []);
        assert.deepEqual(h.toRaw(), once);
      }),
      { numRuns: 500 },
    );
  });

  test("the request side either refuses untouched or strips exactly as stripHopByHop", () => {
    fc.assert(
      fc.property(headerLines, (lines) => {
        const h = HeaderList.of(lines);
        const twin = h.clone();
        const r = stripRequestHopByHop(h);
        if (r.kind === "refused") {
          assert.ok(isProtectedFromNomination(r.header));
          assert.deepEqual(h.toRaw(), twin.toRaw());
        } else {
          assert.deepEqual(r.removed, stripHopByHop(twin));
          assert.deepEqual(h.toRaw(), twin.toRaw());
        }
      }),
      { numRuns: 500 },
    );
  });

  test("l5d-dst-* headers added after stripping survive a hostile Connection header, and a second strip", () => {
    const hostile = fc
      .array(fc.constantFrom("l5d-dst-service", "L5D-Dst-Client", "l5d-dst-residual", "via", "x-a"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((names) => names.join(", "));
    fc.assert(
      fc.property(headerLines, hostile, (lines, connection) => {
        const h = HeaderList.of([...lines, ["Connection", connection]]);
        stripHopByHop(h);
        setDstService(h, Path.utf8("svc", "web"));
        setDstBound(h, Path.utf8("#", "io.l5d.fs", "web"), Path.utf8("rest"));
        const check = () => {
          assert.equal(h.get("l5d-dst-service"), "/svc/web");
          assert.equal(h.get("l5d-dst-client"), "/#/io.l5d.fs/web");
          assert.equal(h.get("l5d-dst-residual"), "/rest");
          assert.equal(h.has("connection"), false);
        };
        check();
        stripHopByHop(h);
        check();
      }),
      { numRuns: 300 },
    );
  });
});
