// Writes the mesh's configs for given ports, on files or on a given ZooKeeper, with or without namerd: for run-mesh.ts and tests.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dump, load } from "js-yaml";

export const CONFIGS = fileURLToPath(new URL("configs/", import.meta.url));

/** The article's ports: the services, each sidecar's outgoing and incoming routers and admin, and namerd's. */
export const ARTICLE_PORTS = {
  ping: 8001,
  pong: 8002,
  pingOut: 4001,
  pingIn: 4002,
  pongOut: 4003,
  pongIn: 4004,
  pingAdmin: 9990,
  pongAdmin: 9992,
  namerdThrift: 4100,
  namerdHttp: 4180,
  namerdAdmin: 9991,
} as const;

export type MeshPorts = Record<keyof typeof ARTICLE_PORTS, number>;

/** A ZooKeeper server, as `zkAddrs` lists them. */
export interface ZkAddr {
  readonly host: string;
  readonly port: number;
}

export interface MeshFiles {
  readonly pingSidecar: string;
  readonly pongSidecar: string;
  /** On files: the directory of the io.l5d.fs namer, one file per service. */
  readonly discoDir?: string;
  /** With namerd: its config, its data directory, and the dtab to create its `default` namespace with. */
  readonly namerd?: { readonly config: string; readonly dataDir: string; readonly dtab: string };
}

/** `text` with each of the article's ports (whole numbers) replaced by the one in `ports`, in one pass. */
export function withPorts(text: string, ports: MeshPorts): string {
  const map = new Map<string, string>();
  for (const k of Object.keys(ARTICLE_PORTS) as (keyof MeshPorts)[])
    map.set(String(ARTICLE_PORTS[k]), String(ports[k]));
  const pattern = new RegExp(`\\b(${[...map.keys()].join("|")})\\b`, "g");
  return text.replace(pattern, (p) => map.get(p) ?? p);
}

/** Every `zkAddrs` in a parsed config (namers, router and top-level announcers) replaced by `zk`. */
function withZooKeeper(config: Record<string, unknown>, zk: readonly ZkAddr[]): void {
  const lists = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  const routers = lists(config.routers);
  for (const entry of [
    ...lists(config.namers),
    ...lists(config.announcers),
    ...routers.flatMap((r) => lists(r.announcers)),
  ]) {
    if ("zkAddrs" in entry) entry.zkAddrs = zk.map((a) => ({ host: a.host, port: a.port }));
  }
}

/**
 * Writes the configs of the mesh into `dir`, every port of the article's replaced by the one in `ports`:
 * - without `namerd`, the article's Service Mesh step: the two sidecars of configs/local/ (discovery from a copy of
 *   local/disco/) or, when `zk` is given, of configs/zk/ (their `zkAddrs` replaced);
 * - with `namerd`, its final topology: namerd and both sidecars asking it, from configs/namerd/ (namerd's io.l5d.fs
 *   namer over a copy of local/disco/) or configs/namerd-zk/, namerd's data directory inside `dir`.
 */
export function writeMeshConfigs(
  dir: string,
  ports: MeshPorts,
  zk?: readonly ZkAddr[],
  options: { readonly namerd?: boolean } = {},
): MeshFiles {
  const namerd = options.namerd === true;
  const source = join(
    CONFIGS,
    namerd ? (zk === undefined ? "namerd" : "namerd-zk") : zk === undefined ? "local" : "zk",
  );
  const dataDir = join(dir, "namerd-data");
  let discoDir: string | undefined;
  if (zk === undefined) {
    const disco = join(CONFIGS, "local", "disco");
    discoDir = join(dir, "disco");
    mkdirSync(discoDir, { recursive: true });
    for (const f of readdirSync(disco)) {
      writeFileSync(join(discoDir, f), withPorts(readFileSync(join(disco, f), "utf8"), ports));
    }
  }
  const write = (name: string): string => {
    let text = withPorts(readFileSync(join(source, name), "utf8"), ports)
      .replace(/^( {2}dir:) namerd-data$/m, `$1 ${dataDir}`)
      .replace(/^( {2}rootDir:) examples\/ping-pong\/configs\/local\/disco$/m, `$1 ${discoDir}`);
    if (zk !== undefined && name.endsWith(".yaml")) {
      const config = load(text) as Record<string, unknown>;
      withZooKeeper(config, zk);
      text = `# ${name} from ${source}, for ZooKeeper at ${zk.map((a) => `${a.host}:${a.port}`).join(",")}\n${dump(config)}`;
    }
    const out = join(dir, name);
    writeFileSync(out, text);
    return out;
  };
  return {
    pingSidecar: write("ping-sidecar.yaml"),
    pongSidecar: write("pong-sidecar.yaml"),
    discoDir,
    namerd: namerd ? { config: write("namerd.yaml"), dataDir, dtab: write("default.dtab") } : undefined,
  };
}
