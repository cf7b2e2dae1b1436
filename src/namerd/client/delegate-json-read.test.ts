// Reading delegation-tree JSON back: what namerd sends is drawn from, so it must say the same when written again.

import assert from "node:assert/strict";
import { test } from "node:test";
import { GlobalNamer } from "../../namers/global.ts";
import {
  ConfiguredNamersInterpreter,
  delegateTreeToJson,
  readDtab,
  readPath,
  resolveAddrs,
} from "../../naming/index.ts";
import { readDelegateJson } from "./delegate-json-read.ts";

test("delegate JSON read and written again is the same JSON", async () => {
  const interpreter = new ConfiguredNamersInterpreter([], new GlobalNamer());
  const dtab = readDtab(
    "/svc => /$/nil; /svc/web => 0.7 * /$/inet/127.1/8080 & 0.3 * /$/fail; /svc/api => ~ | /$/inet/127.1/9000; /svc/x => !",
  );
  for (const path of ["/svc/web", "/svc/api/v1", "/svc/x", "/svc/other", "/elsewhere"]) {
    const tree = await interpreter.delegate(dtab, readPath(path)).toPromise(2000);
    const json = JSON.parse(JSON.stringify(delegateTreeToJson(tree, await resolveAddrs(tree, 2000))));
    const read = readDelegateJson(json);
    assert.deepEqual(JSON.parse(JSON.stringify(delegateTreeToJson(read.tree, read.addrs))), json, path);
  }
});

test("JSON that is not a delegation tree is refused", () => {
  assert.throws(() => readDelegateJson({ type: "mystery", path: "/a" }), /unknown delegation node type/);
  assert.throws(() => readDelegateJson([]), /expected a delegation node as an object/);
});
