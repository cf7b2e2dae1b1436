// `trellis passthrough --listen IP:PORT --to IP:PORT`: the bare pass-through proxy, for benchmarks.

import { parseArgs } from "node:util";
import { createPassthrough } from "../proxy/passthrough.ts";
import { UsageError } from "./errors.ts";
import { holdYoungGeneration } from "./young-generation.ts";

export const PASSTHROUGH_USAGE = `Usage: trellis passthrough --listen IP:PORT --to IP:PORT

Forwards every HTTP/1.1 request to one address on the proxy's own data path, with no routing, header work or
metrics: the floor that the benchmarks compare the full proxy with. Not for production use.
`;

function hostPort(what: string, text: string | undefined): { ip: string; port: number } {
  const m = text === undefined ? null : /^(.+):(\d{1,5})$/.exec(text);
  if (m === null)
    throw new UsageError(`passthrough: --${what} expects IP:PORT, got ${JSON.stringify(text ?? "")}`);
  return { ip: m[1] as string, port: Number(m[2]) };
}

export async function passthroughCommand(argv: string[], out: (text: string) => void): Promise<number> {
  let values: { listen?: string; to?: string; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: { listen: { type: "string" }, to: { type: "string" }, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (e) {
    throw new UsageError(`passthrough: ${(e as Error).message}`, PASSTHROUGH_USAGE);
  }
  if (values.help) {
    out(PASSTHROUGH_USAGE);
    return 0;
  }
  const listen = hostPort("listen", values.listen);
  const to = hostPort("to", values.to);
  const proxy = createPassthrough(to);
  await new Promise<void>((resolve, reject) => {
    proxy.server.once("error", reject);
    proxy.server.listen({ host: listen.ip, port: listen.port }, () => resolve());
  }).catch((e: Error) => {
    throw new UsageError(`passthrough: cannot listen on ${listen.ip}:${listen.port}: ${e.message}`);
  });
  const a = proxy.server.address();
  out(
    `trellis: passthrough listening on ${listen.ip}:${typeof a === "object" && a ? a.port : listen.port}\n`,
  );
  holdYoungGeneration();
  return new Promise<number>((resolve) => {
    const stop = () => {
      proxy.closeAll();
      proxy.server.close(() => resolve(0));
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
