import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Path, readPath } from "../naming/index.ts";
import { setDstBound, setDstService } from "./dst-headers.ts";
import { HeaderList } from "./header-list.ts";

describe("setDstService", () => {
  test("Linkerd's golden case: the logical name in shown form", () => {
    const h = new HeaderList();
    setDstService(h, readPath("/freedom"));
    assert.deepEqual(h.toRaw(), ["l5d-dst-service", "/freedom"]);
  });

  test("replaces a forged one; bytes that are not showable are escaped", () => {
    const h = HeaderList.of([["L5d-Dst-Service", "/svc/forged"]]);
    setDstService(h, Path.utf8("svc", "hä\r\nx: y"));
    assert.deepEqual(h.getAll("l5d-dst-service"), ["/svc/h\\xc3\\xa4\\x0d\\x0ax:\\x20y"]);
  });
});

describe("setDstBound", () => {
  test("Linkerd's golden case: id and residual", () => {
    const h = new HeaderList();
    setDstBound(h, Path.utf8("id"), Path.utf8("residual"));
    assert.equal(h.get("l5d-dst-client"), "/id");
    assert.equal(h.get("l5d-dst-residual"), "/residual");
  });

  test("Linkerd's golden case: an empty residual is omitted, and a stale incoming one removed", () => {
    const h = HeaderList.of([
      ["l5d-dst-residual", "/stale"],
      ["l5d-dst-client", "/old"],
    ]);
    setDstBound(h, readPath("/#/io.l5d.fs/web"), Path.empty);
    assert.deepEqual(h.toRaw(), ["l5d-dst-client", "/#/io.l5d.fs/web"]);
  });
});
