import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dtab, readDtab } from "../naming/index.ts";
import { DtabHeaderError, readLocalDtab, takeLocalDtab, writeLocalDtab } from "./dtab-headers.ts";
import { HeaderList } from "./header-list.ts";

describe("readLocalDtab", () => {
  test("Linkerd's golden case: l5d-ctx-dtab first, then l5d-dtab (which takes precedence)", () => {
    const h = HeaderList.of([
      ["l5d-dtab", "/a => /d"],
      ["l5d-ctx-dtab", "/a => /c"],
    ]);
    const local = readLocalDtab(h);
    assert.equal(local.show, "/a=>/c;/a=>/d");
    assert.ok(readDtab("/a=>/b").concat(local).equals(readDtab("/a=>/b;/a=>/c;/a=>/d")));
  });

  test("several lines of each, in order; empty values and trailing ; are fine", () => {
    const h = HeaderList.of([
      ["L5d-Ctx-Dtab", "/a=>/1;/b=>/2;"],
      ["l5d-dtab", "/u=>/1"],
      ["l5d-ctx-dtab", ""],
      ["l5d-ctx-dtab", "/c=>/3"],
      ["l5d-dtab", "/v => /2 | /3"],
    ]);
    assert.equal(readLocalDtab(h).show, "/a=>/1;/b=>/2;/c=>/3;/u=>/1;/v=>/2 | /3");
  });

  test("no headers: the empty dtab; dtab-local is ignored", () => {
    assert.ok(readLocalDtab(new HeaderList()).isEmpty);
    assert.ok(readLocalDtab(HeaderList.of([["Dtab-Local", "/a=>/b"]])).isEmpty);
  });

  test("Linkerd's golden case: not a dtab → a typed 400 error naming the header", () => {
    const h = HeaderList.of([["l5d-dtab", "i am not a dtab"]]);
    assert.throws(
      () => readLocalDtab(h),
      (e: unknown) => {
        assert.ok(e instanceof DtabHeaderError);
        assert.equal(e.status, 400);
        assert.equal(e.header, "l5d-dtab");
        assert.match(e.detail, /^expected .* at 1:1/);
        assert.equal(e.message, `Invalid l5d-dtab header: ${e.detail}`);
        return true;
      },
    );
  });

  test("the error says which line when there are several", () => {
    const h = HeaderList.of([
      ["l5d-ctx-dtab", "/a=>/b"],
      ["l5d-ctx-dtab", "/a=>"],
    ]);
    assert.throws(
      () => readLocalDtab(h),
      (e: unknown) =>
        e instanceof DtabHeaderError && e.header === "l5d-ctx-dtab" && /line 2 of 2/.test(e.detail),
    );
  });

  test("a bad ctx dtab is reported before the user's", () => {
    const h = HeaderList.of([
      ["l5d-dtab", ";;"],
      ["l5d-ctx-dtab", "nope"],
    ]);
    assert.throws(
      () => readLocalDtab(h),
      (e: unknown) => e instanceof DtabHeaderError && e.header === "l5d-ctx-dtab",
    );
  });
});

describe("takeLocalDtab", () => {
  test("reads, then removes both headers", () => {
    const h = HeaderList.of([
      ["l5d-ctx-dtab", "/a=>/c"],
      ["Host", "web"],
      ["l5d-dtab", "/a=>/d"],
    ]);
    assert.equal(takeLocalDtab(h).show, "/a=>/c;/a=>/d");
    assert.deepEqual(h.toRaw(), ["Host", "web"]);
  });

  test("on error the headers are left as they were", () => {
    const h = HeaderList.of([
      ["l5d-ctx-dtab", "/a=>/c"],
      ["l5d-dtab", "oops"],
    ]);
    assert.throws(() => takeLocalDtab(h), DtabHeaderError);
    assert.equal(h.size, 2);
  });
});

describe("writeLocalDtab", () => {
  test("Linkerd's golden case: the local dtab in shown form", () => {
    const h = new HeaderList();
    writeLocalDtab(h, readDtab("/foo => /bar"));
    assert.deepEqual(h.toRaw(), ["l5d-ctx-dtab", "/foo=>/bar"]);
  });

  test("replaces incoming ctx lines and drops l5d-dtab; the combined dtab survives a round trip", () => {
    const h = HeaderList.of([
      ["l5d-ctx-dtab", "/a=>/c"],
      ["l5d-ctx-dtab", "/x=>/y"],
      ["l5d-dtab", "/a=>/d"],
      ["Host", "web"],
    ]);
    const local = readLocalDtab(h);
    writeLocalDtab(h, local);
    assert.deepEqual(h.toRaw(), ["Host", "web", "l5d-ctx-dtab", "/a=>/c;/x=>/y;/a=>/d"]);
    assert.ok(readLocalDtab(h).equals(local));
  });

  test("omitted when the local dtab is empty", () => {
    const h = HeaderList.of([
      ["l5d-ctx-dtab", "/a=>/c"],
      ["l5d-dtab", "/a=>/d"],
    ]);
    writeLocalDtab(h, Dtab.empty);
    assert.equal(h.size, 0);
  });

  test("labels that are not showable travel escaped, still one safe line", () => {
    const h = new HeaderList();
    const dtab = readDtab("/svc/h\\xc3\\xa4 => /$/inet/127.1/8080 & 0.3 * /b | ~");
    writeLocalDtab(h, dtab);
    const value = h.get("l5d-ctx-dtab") as string;
    assert.equal(value, "/svc/h\\xc3\\xa4=>/$/inet/127.1/8080 & 0.30*/b | ~");
    assert.ok(readDtab(value).equals(dtab));
  });
});
