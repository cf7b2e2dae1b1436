// A private Trellis install for a benchmark run: the sources bundled once at the start, so every proxy it starts runs the same build.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ESBUILD = join(ROOT, "node_modules", ".bin", "esbuild");

/**
 * Bundles src/ as `npm run build` does into `dir`, with the launcher, package.json and a link to node_modules
 * beside it, and returns the launcher's path; undefined (and why) when the bundle cannot be built. Others may
 * edit src/ during a long run; this keeps the proxies started late on the same code as the first ones.
 */
export function privateTrellis(dir: string): { bin?: string; why?: string } {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "dist"), { recursive: true });
  mkdirSync(join(dir, "src"), { recursive: true });
  const r = spawnSync(
    ESBUILD,
    [
      join(ROOT, "src/cli/main.ts"),
      "--bundle",
      "--platform=node",
      "--format=cjs",
      "--target=node24",
      `--outfile=${join(dir, "dist", "trellis.cjs")}`,
      "--external:node-zookeeper-client",
      "--log-level=warning",
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) return { why: `esbuild failed: ${r.stderr || r.error?.message}` };
  for (const f of ["trellis.js", "package.json"]) copyFileSync(join(ROOT, "bin", f), join(dir, "bin", f));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { bin: join(dir, "bin", "trellis.js") };
}
