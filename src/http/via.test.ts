import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HeaderList } from "./header-list.ts";
import { appendVia, callDepth, checkCallDepth, viaEntry } from "./via.ts";

describe("appendVia", () => {
  test("Linkerd's golden cases: added when absent, appended when present", () => {
    const none = new HeaderList();
    appendVia(none, "1.1");
    assert.deepEqual(none.toRaw(), ["Via", "1.1 linkerd"]);
    const some = HeaderList.of([["Via", "1.0 bob, 1.1 mary"]]);
    appendVia(some, "1.1");
    assert.deepEqual(some.getAll("via"), ["1.0 bob, 1.1 mary, 1.1 linkerd"]);
  });

  test("the entry follows the version of the message received", () => {
    assert.equal(viaEntry("1.0"), "1.0 linkerd");
    const h = new HeaderList();
    appendVia(h, "1.0");
    assert.equal(h.get("via"), "1.0 linkerd");
  });

  test("several Via lines fold into one, so a Linkerd downstream (which reads the first line) counts them all", () => {
    const h = HeaderList.of([
      ["via", "1.1 a"],
      ["Host", "web"],
      ["VIA", " 1.1 b, 1.1 c "],
      ["Via", ""],
    ]);
    appendVia(h, "1.1");
    assert.deepEqual(h.toRaw(), ["Host", "web", "Via", "1.1 a, 1.1 b, 1.1 c, 1.1 linkerd"]);
    assert.equal(callDepth(h), 4);
  });
});

describe("callDepth and checkCallDepth", () => {
  const tenHops = Array.from({ length: 10 }, (_, i) => `hop ${i + 1}`).join(", ");

  test("Linkerd's golden case: 10 hops pass a limit of 10", () => {
    const h = HeaderList.of([["Via", tenHops]]);
    assert.deepEqual(checkCallDepth(h, 10), { kind: "ok", depth: 10 });
  });

  test("Linkerd's golden case: 10 hops exceed a limit of 9, with Linkerd's message", () => {
    const h = HeaderList.of([["Via", tenHops]]);
    assert.deepEqual(checkCallDepth(h, 9), {
      kind: "exceeded",
      depth: 10,
      message: "Maximum number of calls (9) has been exceeded. Please check for proxy loops.",
    });
  });

  test("counts the entries of every Via line, ignoring empty ones", () => {
    assert.equal(callDepth(new HeaderList()), 0);
    assert.equal(callDepth(HeaderList.of([["Via", ""]])), 0);
    assert.equal(callDepth(HeaderList.of([["Via", "a,, b ,"]])), 2);
    assert.equal(
      callDepth(
        HeaderList.of([
          ["Via", "a, b"],
          ["via", "c"],
        ]),
      ),
      3,
    );
  });

  test("commas inside comments count, so an unclosed ( cannot hide later hops", () => {
    assert.equal(callDepth(HeaderList.of([["Via", "1.1 a (x, y), 1.1 b"]])), 3);
    assert.equal(callDepth(HeaderList.of([["Via", "1.1 a (, 1.1 b, 1.1 c"]])), 3);
  });

  test("stops counting once past the limit", () => {
    const h = HeaderList.of([["Via", Array(100_000).fill("1.1 linkerd").join(", ")]]);
    assert.equal(callDepth(h, 1000), 1001);
    assert.equal(checkCallDepth(h, 1000).kind, "exceeded");
  });

  test("each appendVia adds one hop", () => {
    const h = new HeaderList();
    for (let i = 1; i <= 5; i++) {
      appendVia(h, "1.1");
      assert.equal(callDepth(h), i);
    }
    assert.equal(checkCallDepth(h, 4).kind, "exceeded");
  });
});
