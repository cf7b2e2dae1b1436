// Tests of the io.l5d.fs file format: addresses, weights, comments, and errors that name the line.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FileSyntaxError, parseServiceFile } from "./serverset-file.ts";

describe("parseServiceFile", () => {
  it("reads host port and host port * weight lines, skipping comments and blank lines", () => {
    const text = "# pong replicas\n127.0.0.1 8002\n\n10.0.0.2   8003 * 0.5  # canary\n  web.local 80\n";
    assert.deepEqual(parseServiceFile("pong", text), [
      { host: "127.0.0.1", port: 8002, weight: undefined },
      { host: "10.0.0.2", port: 8003, weight: 0.5 },
      { host: "web.local", port: 80, weight: undefined },
    ]);
  });

  it("an empty file is a service with no addresses", () => {
    assert.deepEqual(parseServiceFile("empty", "\n# nothing yet\n"), []);
  });

  for (const [line, message] of [
    ["127.0.0.1", /expected "host port"/],
    ["127.0.0.1 80 90", /expected "host port"/],
    ["127.0.0.1 0", /port from 1 to 65535/],
    ["127.0.0.1 70000", /port from 1 to 65535/],
    ["127.0.0.1 http", /port from 1 to 65535/],
    ["127.0.0.1 80 x 2", /expected "\*" before the weight/],
    ["127.0.0.1 80 * heavy", /expected a weight/],
    ["bad/host 80", /not a host name/],
  ] as const) {
    it(`refuses ${JSON.stringify(line)} naming the file and line`, () => {
      assert.throws(
        () => parseServiceFile("svc", `127.0.0.1 1\n${line}\n`),
        (e: unknown) =>
          e instanceof FileSyntaxError &&
          e.line === 2 &&
          e.message.startsWith("svc:2: ") &&
          message.test(e.message),
      );
    });
  }
});
