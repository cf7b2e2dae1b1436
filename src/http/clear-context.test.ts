import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clearRequestContext, clearResponseContext } from "./clear-context.ts";
import { HeaderList } from "./header-list.ts";
import { isLinkerdHeader, L5dHeader } from "./linkerd-header-names.ts";

describe("clearRequestContext", () => {
  test("drops every l5d-* header (any case, every line) and dtab-local, nothing else", () => {
    const h = HeaderList.of([
      ["Host", "web"],
      ["l5d-ctx-deadline", "1 2"],
      ["L5d-Ctx-Dtab", "/a=>/b"],
      ["l5d-dtab", "/c=>/d"],
      ["l5d-dtab", "/e=>/f"],
      ["l5d-sample", "1"],
      ["l5d-ctx-trace", "AAAA"],
      ["L5D-DST-SERVICE", "/svc/forged"],
      ["l5d-anything-new", "x"],
      ["Dtab-Local", "/g=>/h"],
      ["l5d", "not a linkerd header"],
      ["x-l5d-dtab", "not one either"],
      ["Accept", "*/*"],
    ]);
    assert.equal(clearRequestContext(h), 9);
    assert.deepEqual(h.toRaw(), [
      "Host",
      "web",
      "l5d",
      "not a linkerd header",
      "x-l5d-dtab",
      "not one either",
      "Accept",
      "*/*",
    ]);
  });
});

describe("clearResponseContext", () => {
  test("drops every l5d-* header and reports l5d-err, so the caller clears the body", () => {
    const h = HeaderList.of([
      ["Content-Type", "text/plain"],
      ["L5d-Err", "No+hosts+are+available"],
      ["l5d-retryable", "true"],
      ["l5d-success-class", "0.0"],
    ]);
    assert.deepEqual(clearResponseContext(h), { removed: 3, errPresent: true });
    assert.deepEqual(h.toRaw(), ["Content-Type", "text/plain"]);
  });

  test("without l5d-err the body stays; dtab-local on a response is not Linkerd's business", () => {
    const h = HeaderList.of([
      ["l5d-success-class", "1.0"],
      ["dtab-local", "x"],
    ]);
    assert.deepEqual(clearResponseContext(h), { removed: 1, errPresent: false });
    assert.deepEqual(h.toRaw(), ["dtab-local", "x"]);
  });
});

describe("header names", () => {
  test("every name is an l5d-* name in lower case", () => {
    for (const name of Object.values(L5dHeader)) {
      assert.ok(isLinkerdHeader(name), name);
      assert.equal(name, name.toLowerCase());
    }
    assert.equal(L5dHeader.dstService, "l5d-dst-service");
    assert.equal(L5dHeader.dstClient, "l5d-dst-client");
    assert.equal(L5dHeader.dstResidual, "l5d-dst-residual");
  });

  test("isLinkerdHeader is a case-insensitive prefix test", () => {
    assert.ok(isLinkerdHeader("L5D-x"));
    assert.ok(!isLinkerdHeader("l5d"));
    assert.ok(!isLinkerdHeader("l5e-x"));
    assert.ok(!isLinkerdHeader(""));
  });
});
