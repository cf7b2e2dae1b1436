// Free loopback ports for the tests' processes and configs, chosen so that no two of them are the same.

import { once } from "node:events";
import { createServer, type Server } from "node:net";

/**
 * `n` distinct loopback ports that were free a moment ago. All are held open together and then released: taken
 * and released one at a time, the OS may hand out the same port twice (it did, and two processes collided).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      s.listen(0, "127.0.0.1");
      await once(s, "listening");
      servers.push(s);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** One loopback port that was free a moment ago; for more than one at once, `freePorts`. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}
