// io.l5d.port: every address's port replaced by one configured port (to reach the sidecar on each host).

import { Addr, BoundName, Path } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { BoundNameTransformer } from "./bound-name-transformer.ts";
import { transformerPrefix } from "./transformer-prefix.ts";

export const PORT_KIND = "io.l5d.port";

export interface PortOptions {
  /** The port every address gets. */
  readonly port: number;
  /** Replaces the default id prefix `/io.l5d.port/<port>` (ids then start `/%` followed by this). */
  readonly prefix?: Path;
}

/** The Addr with every address's port set to `port` (metadata kept); Neg, Failed and Pending pass through. */
export function withPort(addr: Addr, port: number): Addr {
  if (addr.kind !== "bound") return addr;
  return Addr.bound(
    addr.addrs.map((a) => Addr.address(a.ip, port, a.meta)),
    addr.meta,
  );
}

/**
 * Rewrites every bound name: id `/%/io.l5d.port/<port>` ++ id, residual kept, and every address on `port`. So
 * `/#/io.l5d.fs/web` at 127.0.0.1:8002 becomes `/%/io.l5d.port/4004/#/io.l5d.fs/web` at 127.0.0.1:4004.
 */
export function portTransformer(options: PortOptions): NameTreeTransformer {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${PORT_KIND}: port must be an integer from 0 to 65535, got ${port}`);
  }
  const prefix = transformerPrefix(options.prefix, Path.of(PORT_KIND, String(port)));
  return new BoundNameTransformer(
    PORT_KIND,
    (b: BoundName) =>
      new BoundName(
        prefix.concat(b.id),
        b.addr.map((a) => withPort(a, port)),
        b.residual,
      ),
  );
}
