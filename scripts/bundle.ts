// Keeps dist/trellis.cjs in step with src/ for development: tests, `npm start` and the benchmarks rebuild it when
// a source is newer, so that the launcher itself never has to look (that look cost every start ~6 ms).
//
//   node scripts/bundle.ts      # rebuilds the bundle when a file below src/ is newer (and says so)

import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = join(ROOT, "dist", "trellis.cjs");

function newestBelow(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newestBelow(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/trellis.cjs exists and is at least as new as every file below src/. */
export function bundleIsCurrent(): boolean {
  try {
    return statSync(BUNDLE).mtimeMs >= newestBelow(join(ROOT, "src"));
  } catch {
    return false;
  }
}

/** Runs `npm run build` when the bundle is missing or older than a source; throws with esbuild's output on failure. */
export function ensureBundle(): "current" | "rebuilt" {
  if (bundleIsCurrent()) return "current";
  const r = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`npm run build failed:\n${r.stdout ?? ""}${r.stderr ?? r.error?.message ?? ""}`);
  return "rebuilt";
}

/** For `node --test --test-global-setup=scripts/bundle.ts`: the processes the tests start run the current code. */
export function globalSetup(): void {
  ensureBundle();
}

if (import.meta.main) {
  try {
    if (ensureBundle() === "rebuilt") process.stdout.write("dist/trellis.cjs rebuilt from src/\n");
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
