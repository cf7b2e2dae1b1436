#!/usr/bin/env node
// Entry point: refuses a Node older than the pinned floor, then runs the built bundle (the sources when there is none).
"use strict";

const { existsSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

const FLOOR = [24, 18, 1];
const have = process.versions.node.split(".").map((part) => Number.parseInt(part, 10) || 0);
let older = false;
for (let i = 0; i < FLOOR.length; i++) {
  if (have[i] !== FLOOR[i]) {
    older = have[i] < FLOOR[i];
    break;
  }
}
if (older) {
  process.stderr.write(
    `trellis: Node.js ${process.versions.node} is too old; trellis needs Node.js >= ${FLOOR.join(".")} ` +
      "(older releases lack the fix for CVE-2026-58044, an HTTP header-truncation flaw that allows request smuggling).\n" +
      "Run it through npm (`npm start`, `npx trellis ...`), which uses the Node 24 that `npm ci` installs into node_modules/.bin,\n" +
      "or install Node.js 24 LTS yourself.\n",
  );
  process.exit(1);
}

const root = join(__dirname, "..");
const bundle = join(root, "dist", "trellis.cjs");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;

// The bundle (`npm run build`, run by `npm ci`, `npm test` and `npm start`) starts faster and takes less memory
// than the TypeScript sources. It is not compared with src/ here, which would cost every start some 6 ms:
// after changing a source, `npm run build` (or `node scripts/bundle.ts`, which builds only when needed), or run
// the sources with TRELLIS_SOURCES=1.
let load;
if (process.env.TRELLIS_SOURCES !== "1" && existsSync(bundle)) {
  // Compiled code is cached on disk between runs (Node's compile cache), which shortens start-up further.
  require("node:module").enableCompileCache?.();
  load = Promise.resolve(require(bundle));
} else {
  load = import("../src/cli/main.ts");
}
load.then(async ({ main }) => {
  process.exitCode = await main(process.argv.slice(2), version);
});
