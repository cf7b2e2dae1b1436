// End-to-end tests of the `trellis` command: each runs `node bin/trellis.js ...` as a real process.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "trellis.js");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The child's environment: ours, without the test runner's marker (a child must not think it is a test run). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

/** Runs `node bin/trellis.js ...args` from the project root, writing `input` (or nothing) to its standard input. */
function trellis(args: readonly string[], input = "", node = process.execPath): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [BIN, ...args], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on("error", () => {}); // the child may exit without reading its input
    child.stdin.end(input);
  });
}

/** Asserts the exit status, showing the child's output when it differs. */
function assertExit(run: Run, code: number): void {
  assert.equal(
    run.code,
    code,
    `expected exit status ${code}, got ${run.code} (signal ${run.signal})\n` +
      `stdout: ${run.stdout}\nstderr: ${run.stderr}`,
  );
}

/** A message for people: no JavaScript stack trace in it. */
function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /^ {4}at /m, `unexpected stack trace in:\n${text}`);
  assert.doesNotMatch(text, /internal error/, `unexpected internal error in:\n${text}`);
}

const DTAB = "/svc => /#/io.l5d.fs; /svc/pong => /$/inet/127.1/8002;";
const SHOWN = "/svc=>/#/io.l5d.fs;/svc/pong=>/$/inet/127.1/8002";
const PRETTY = "/svc => /#/io.l5d.fs;\n/svc/pong => /$/inet/127.1/8002;";

describe("trellis", () => {
  test("--help lists the dtab command", async () => {
    const run = await trellis(["--help"]);
    assertExit(run, 0);
    assert.match(run.stdout, /^Usage: trellis <command>/);
    assert.match(run.stdout, /^\s+dtab\s/m);
    assert.equal(run.stderr, "");
  });

  test("version prints the version of package.json and of Node", async () => {
    const run = await trellis(["version"]);
    assertExit(run, 0);
    assert.equal(run.stdout, `trellis ${PKG.version} (node ${process.versions.node})\n`);
    assert.equal(run.stderr, "");
  });

  test("an unknown command exits 2 with a message", async () => {
    const run = await trellis(["frobnicate"]);
    assertExit(run, 2);
    assert.match(run.stderr, /unknown command 'frobnicate'/);
    assert.equal(run.stdout, "");
    assertNoStack(run.stderr);
  });

  test("an unknown dtab command exits 2 with a message", async () => {
    const run = await trellis(["dtab", "frobnicate"]);
    assertExit(run, 2);
    assert.match(run.stderr, /unknown command 'frobnicate'/);
    assertNoStack(run.stderr);
  });
});

describe("trellis dtab show", () => {
  test("prints the shown form", async () => {
    const run = await trellis(["dtab", "show", DTAB]);
    assertExit(run, 0);
    assert.equal(run.stdout, `${SHOWN}\n`);
    assert.equal(run.stderr, "");
  });

  test("--pretty prints one entry per line", async () => {
    const run = await trellis(["dtab", "show", "--pretty", DTAB]);
    assertExit(run, 0);
    assert.equal(run.stdout, `${PRETTY}\n`);
  });

  test("- reads the dtab from standard input, comments and line breaks included", async () => {
    const input = "# routes\n/svc => /#/io.l5d.fs;\n/svc/pong => /$/inet/127.1/8002; # pong\n";
    const plain = await trellis(["dtab", "show", "-"], input);
    assertExit(plain, 0);
    assert.equal(plain.stdout, `${SHOWN}\n`);
    const pretty = await trellis(["dtab", "show", "--pretty", "-"], input);
    assertExit(pretty, 0);
    assert.equal(pretty.stdout, `${PRETTY}\n`);
  });

  test("a malformed dtab exits 2 with where and what was expected, and no stack trace", async () => {
    const run = await trellis(["dtab", "show", "/svc/pong =-> /x"]);
    assertExit(run, 2);
    assert.ok(
      run.stderr.includes("dtab: expected '=>' at 1:11"),
      `stderr does not say where the dtab is wrong:\n${run.stderr}`,
    );
    assert.equal(run.stdout, "");
    assertNoStack(run.stderr);
  });

  test("a malformed dtab from standard input exits 2", async () => {
    const run = await trellis(["dtab", "show", "-"], "/svc/pong =-> /x\n");
    assertExit(run, 2);
    assert.ok(run.stderr.includes("dtab: expected '=>' at 1:11"), run.stderr);
    assertNoStack(run.stderr);
  });
});

describe("trellis dtab lookup", () => {
  const dtab = "/svc=>/#/io.l5d.fs; /svc/b=>/srv/b2 | /srv/b1; /srv=>/#/io.l5d.fs";

  test("prints the name tree of the lookup", async () => {
    const run = await trellis(["dtab", "lookup", "--dtab", dtab, "/svc/b/x"]);
    assertExit(run, 0);
    assert.equal(run.stdout, "(/srv/b2/x | /srv/b1/x) | /#/io.l5d.fs/b/x\n");
    assert.equal(run.stderr, "");
  });

  test("--dtab - reads the dtab from standard input", async () => {
    const run = await trellis(["dtab", "lookup", "--dtab", "-", "/svc/b/x"], dtab);
    assertExit(run, 0);
    assert.equal(run.stdout, "(/srv/b2/x | /srv/b1/x) | /#/io.l5d.fs/b/x\n");
  });

  test("a path that matches nothing gives ~", async () => {
    const run = await trellis(["dtab", "lookup", "--dtab", dtab, "/nowhere"]);
    assertExit(run, 0);
    assert.equal(run.stdout, "~\n");
  });

  test("a bad path exits 2 with a message and no stack trace", async () => {
    const run = await trellis(["dtab", "lookup", "--dtab", dtab, "svc/b"]);
    assertExit(run, 2);
    assert.match(run.stderr, /path: expected '\/' at 1:1/);
    assert.equal(run.stdout, "");
    assertNoStack(run.stderr);
  });

  test("a missing --dtab exits 2", async () => {
    const run = await trellis(["dtab", "lookup", "/svc/b/x"]);
    assertExit(run, 2);
    assert.match(run.stderr, /--dtab TEXT is required/);
    assertNoStack(run.stderr);
  });
});

describe("trellis dtab delegate", () => {
  const dtab = "/svc/pong => /$/inet/127.1/8002";

  test("--json prints the tree in the shape of Linkerd's /delegator.json", async () => {
    const run = await trellis(["dtab", "delegate", "--json", "--dtab", dtab, "/svc/pong"]);
    assertExit(run, 0);
    assert.equal(run.stderr, "");
    const json: unknown = JSON.parse(run.stdout);
    assert.deepEqual(json, {
      type: "delegate",
      path: "/svc/pong",
      delegate: {
        type: "leaf",
        path: "/$/inet/127.1/8002",
        dentry: { prefix: "/svc/pong", dst: "/$/inet/127.1/8002" },
        bound: {
          addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 8002, meta: {} }], meta: {} },
          id: "/$/inet/127.1/8002",
          path: "/",
        },
      },
    });
  });

  test("without --json draws the tree with the bound address", async () => {
    const run = await trellis(["dtab", "delegate", "--dtab", dtab, "/svc/pong"]);
    assertExit(run, 0);
    assert.match(run.stdout, /^\/svc\/pong$/m);
    assert.ok(run.stdout.includes("(by /svc/pong=>/$/inet/127.1/8002)"), run.stdout);
    assert.ok(run.stdout.includes("bound /$/inet/127.1/8002: 127.0.0.1:8002"), run.stdout);
  });

  test("a dtab loop exits 1 with Finagle's message and no stack trace", async () => {
    const run = await trellis(["dtab", "delegate", "--dtab", "/a=>/b;/b=>/a", "/a"]);
    assertExit(run, 1);
    assert.ok(run.stderr.includes("Max recursion level reached."), run.stderr);
    assert.equal(run.stdout, "");
    assertNoStack(run.stderr);
  });

  test("a bad path exits 2", async () => {
    const run = await trellis(["dtab", "delegate", "--dtab", dtab, "/svc//pong"]);
    assertExit(run, 2);
    assert.match(run.stderr, /path: expected/);
    assertNoStack(run.stderr);
  });

  test("a missing --dtab exits 2", async () => {
    const run = await trellis(["dtab", "delegate", "/svc/pong"]);
    assertExit(run, 2);
    assert.match(run.stderr, /--dtab TEXT is required/);
    assertNoStack(run.stderr);
  });
});

describe("the launcher", () => {
  const SYSTEM_NODE = "/usr/bin/node";

  /** The major version of `node`, or undefined when it is absent or does not answer. */
  function majorOf(node: string): number | undefined {
    if (!existsSync(node)) return undefined;
    const r = spawnSync(node, ["--version"], { encoding: "utf8", env: childEnv(), timeout: 10_000 });
    const m = /^v(\d+)\./.exec(r.stdout ?? "");
    return m ? Number(m[1]) : undefined;
  }

  test("refuses a Node older than 24.18.1", async (t) => {
    const major = majorOf(SYSTEM_NODE);
    if (major === undefined) {
      t.skip(`${SYSTEM_NODE} is absent or did not report its version`);
      return;
    }
    if (major >= 24) {
      t.skip(`${SYSTEM_NODE} is Node ${major}, not older than 24: nothing old to refuse`);
      return;
    }
    const run = await trellis(["version"], "", SYSTEM_NODE);
    assertExit(run, 1);
    assert.ok(
      run.stderr.includes("24.18.1"),
      `the message does not name the required version:\n${run.stderr}`,
    );
    assert.match(run.stderr, /too old/);
    assert.equal(run.stdout, "");
    assertNoStack(run.stderr);
  });
});
