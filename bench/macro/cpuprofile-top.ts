// Prints where a profiled Trellis spent its time: top self time by function and file, and src/ inclusive time.
//
//   node bench/macro/cpuprofile-top.ts [--top N] FILE.cpuprofile...
//   node bench/macro/cpuprofile-top.ts --callers NAME [--depth D] FILE.cpuprofile   # who calls NAME, inclusive
//
// Profiles come from `npm run bench:proxy -- --profile DIR` or `node --cpu-prof bin/trellis.js proxy CONFIG`.

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { callersOf, profileMarkdown, summarizeProfile } from "../lib/cpuprofile.ts";

const ROOT = new URL("../../", import.meta.url).href;

/** Summarizes each profile file to Markdown. */
export function summarizeFiles(files: readonly string[], n = 25): string {
  return files.map((f) => profileMarkdown(summarizeProfile(resolve(f), ROOT, n))).join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      callers: { type: "string" },
      depth: { type: "string", default: "6" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(
      "Usage: node bench/macro/cpuprofile-top.ts [--top N] [--callers NAME [--depth D]] FILE.cpuprofile...\n",
    );
    process.exit(values.help ? 0 : 2);
  }
  const top = Number(values.top);
  if (values.callers === undefined) process.stdout.write(summarizeFiles(positionals, top));
  else
    for (const f of positionals) {
      process.stdout.write(`## Callers of ${values.callers} in ${f} (inclusive ms, % of busy time)\n\n`);
      for (const r of callersOf(resolve(f), ROOT, values.callers, Number(values.depth), top))
        process.stdout.write(`- ${r.ms.toFixed(0)} ms (${(r.share * 100).toFixed(1)}%): ${r.key}\n`);
    }
}
