#!/usr/bin/env node
// Entry point: refuses to run on a Node older than the pinned floor, then hands over to the TypeScript CLI.
const FLOOR = [24, 18, 1];
const have = process.versions.node.split(".").map((part) => Number.parseInt(part, 10) || 0);
const older = (() => {
  for (let i = 0; i < FLOOR.length; i++) {
    if (have[i] !== FLOOR[i]) return have[i] < FLOOR[i];
  }
  return false;
})();
if (older) {
  process.stderr.write(
    `trellis: Node.js ${process.versions.node} is too old; trellis needs Node.js >= ${FLOOR.join(".")} ` +
      "(older releases lack the fix for CVE-2026-58044, an HTTP header-truncation flaw that allows request smuggling).\n" +
      "Run it through npm (`npm start`, `npx trellis ...`), which uses the Node 24 that `npm ci` installs into node_modules/.bin,\n" +
      "or install Node.js 24 LTS yourself.\n",
  );
  process.exit(1);
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
