// namerd's dtab media types: the JSON shape of its tests, text, Accept and Content-Type handling, bad bodies.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readDtab } from "../../../naming/index.ts";
import { codecForAccept, codecForContentType, DtabBodyError, jsonCodec, textCodec } from "./dtab-codec.ts";

describe("dtab codecs", () => {
  test("a dtab round-trips through namerd's JSON", () => {
    const json = '[{"prefix":"/tshirt","dst":"/suit"}]';
    assert.equal(jsonCodec.read(json).show, "/tshirt=>/suit");
    assert.equal(jsonCodec.write(readDtab("/tshirt => /suit")), json);
  });

  test("wildcards, alternatives and weights survive JSON", () => {
    const dtab = readDtab("/svc/*/v2 => /srv/canary; /srv => 0.9 * /a & 0.1 * /b | /c");
    assert.equal(jsonCodec.read(jsonCodec.write(dtab)).show, dtab.show);
  });

  test("JSON that is not a list of dentries is refused with a reason", () => {
    assert.throws(
      () => jsonCodec.read("[null]"),
      (e: Error) => e instanceof DtabBodyError && /invalid dentries/.test(e.message),
    );
    assert.throws(() => jsonCodec.read('{"prefix":"/a"}'), /expected a JSON array/);
    assert.throws(() => jsonCodec.read('[{"prefix":"/a"}]'), /needs "prefix" and "dst"/);
    assert.throws(() => jsonCodec.read('[{"prefix":"/a=>/b","dst":"/c"}]'), /entry 0/);
    assert.throws(() => jsonCodec.read("[{"), /invalid JSON/);
  });

  test("dtab text errors say where", () => {
    assert.throws(
      () => textCodec.read("/a => /b;\n/c =-> /d"),
      (e: Error) => e instanceof DtabBodyError && /at 2:4/.test(e.message) && e.message.includes("^"),
    );
  });

  test("Content-Type picks the codec, parameters and case ignored; others are none", () => {
    assert.equal(codecForContentType("application/json;charset=UTF-8"), jsonCodec);
    assert.equal(codecForContentType("Application/Dtab"), textCodec);
    assert.equal(codecForContentType("text/plain"), textCodec);
    assert.equal(codecForContentType("application/x-www-form-urlencoded"), undefined);
    assert.equal(codecForContentType(undefined), undefined);
  });

  test("Accept: the first known type wins, q-values ignored, JSON by default", () => {
    assert.equal(codecForAccept("application/dtab;q=0.9, application/json").mediaType, "application/dtab");
    assert.equal(codecForAccept("text/plain;q=0.9, application/json").mediaType, "text/plain");
    assert.equal(codecForAccept("image/png, application/json").mediaType, "application/json");
    assert.equal(codecForAccept(undefined).mediaType, "application/json");
    assert.equal(codecForAccept("*/*").codec, jsonCodec);
  });
});
