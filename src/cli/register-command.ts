// `trellis register`: reads its options, registers the service until SIGTERM or SIGINT, then removes it.

import { parseArgs } from "node:util";
import type { Endpoint } from "../namers/serversets/serverset-member.ts";
import { znodePath } from "../namers/serversets/serverset-path.ts";
import type { ZkAddr } from "../namers/serversets/zk-client.ts";
import type { HealthCheckSettings } from "../registry/health-check.ts";
import { showEndpoint } from "../registry/member-data.ts";
import { StandaloneRegistration } from "../registry/standalone-registration.ts";
import { UsageError } from "./errors.ts";

export const REGISTER_USAGE = `Usage: trellis register --zk HOST:PORT[,HOST:PORT...] --path ZNODE --address HOST:PORT [options]

Registers a service that runs without a sidecar as a member of a ZooKeeper serverset (an ephemeral sequential
member_ znode in the JSON io.l5d.serversets reads), keeps it registered across lost connections and expired
sessions, and removes it on SIGTERM or SIGINT (then exits 0).

Options:
  --zk HOST:PORT[,...]       ZooKeeper servers (several for an ensemble; the port defaults to 2181)
  --path ZNODE               the serverset, e.g. /discovery/pong (/#/io.l5d.serversets/discovery/pong)
  --address HOST:PORT        the service endpoint clients are to connect to
  --endpoint NAME=HOST:PORT  an additional endpoint (repeatable), named as /...:NAME in a dtab
  --shard N                  the member's shard (default 0, as Finagle's and Linkerd's announcers write)
  --health-url URL           register only while a GET of URL answers 200-399; withdraw when it fails
  --health-interval-ms N     time between health checks (default 1000)
  --health-timeout-ms N      time a health check may take (default 1000)
  --unhealthy-threshold N    failed checks in a row before withdrawing (default 2)
  --healthy-threshold N      passed checks in a row before registering again (default 1)
  --session-timeout-ms N     the ZooKeeper session timeout (default 10000): how long a member outlives a
                             killed process
`;

function usage(message: string): never {
  throw new UsageError(`register: ${message}`);
}

/** `host:port` or `[v6]:port`; `defaultPort` when the port may be left out. */
function hostPort(what: string, text: string, defaultPort?: number): Endpoint {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*))(?::(\d{1,5}))?$/.exec(
    text,
  );
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (m === null || host === undefined || port === undefined || port < 1 || port > 65535)
    usage(`${what} expects HOST:PORT (port 1-65535), got ${JSON.stringify(text)}`);
  // A bare IPv6 address without brackets cannot carry a port.
  if (m[2]?.includes(":") && m[3] !== undefined)
    usage(`${what}: write an IPv6 address in brackets, [${host}]:PORT`);
  return { host, port };
}

function count(what: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    usage(`${what} expects an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface RegisterArgs {
  readonly zkAddrs: ZkAddr[];
  readonly serverset: string;
  readonly address: Endpoint;
  readonly endpoints: Map<string, Endpoint>;
  readonly shard: number;
  readonly health: HealthCheckSettings | undefined;
  readonly sessionTimeoutMs: number;
}

type Values = Record<string, string | string[] | boolean | undefined>;

function readArgs(v: Values): RegisterArgs {
  const str = (k: string) => v[k] as string | undefined;
  const zk = str("zk");
  const path = str("path");
  const address = str("address");
  if (zk === undefined) usage("--zk HOST:PORT is required (the ZooKeeper servers)");
  if (path === undefined) usage("--path ZNODE is required (the serverset, e.g. /discovery/pong)");
  if (address === undefined) usage("--address HOST:PORT is required (the service endpoint)");
  const zkAddrs = zk.split(",").map((a) => hostPort("--zk", a.trim(), 2181));
  const labels = path.split("/");
  const last = labels.pop() ?? "";
  if (!path.startsWith("/") || path === "/" || znodePath(labels.slice(1), last) === undefined)
    usage(`--path expects a znode path such as /discovery/pong, got ${JSON.stringify(path)}`);
  const service = hostPort("--address", address);
  if (["0.0.0.0", "::"].includes(service.host))
    usage(`--address ${showEndpoint(service)}: give the address clients are to connect to, not a wildcard`);
  const endpoints = new Map<string, Endpoint>();
  for (const e of (v.endpoint as string[] | undefined) ?? []) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(e);
    if (m === null) usage(`--endpoint expects NAME=HOST:PORT, got ${JSON.stringify(e)}`);
    const name = m[1] as string;
    if (endpoints.has(name)) usage(`--endpoint ${name} is given twice`);
    endpoints.set(name, hostPort(`--endpoint ${name}`, m[2] as string));
  }
  const shard = count("--shard", str("shard"), 0, 0);
  let health: HealthCheckSettings | undefined;
  const healthUrl = str("health-url");
  if (healthUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(healthUrl);
    } catch {}
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
      usage(`--health-url expects an http:// or https:// URL, got ${JSON.stringify(healthUrl)}`);
    health = {
      url,
      intervalMs: count("--health-interval-ms", str("health-interval-ms"), 1000, 10),
      timeoutMs: count("--health-timeout-ms", str("health-timeout-ms"), 1000, 1),
      unhealthyThreshold: count("--unhealthy-threshold", str("unhealthy-threshold"), 2, 1),
      healthyThreshold: count("--healthy-threshold", str("healthy-threshold"), 1, 1),
    };
  } else {
    for (const k of ["health-interval-ms", "health-timeout-ms", "unhealthy-threshold", "healthy-threshold"])
      if (v[k] !== undefined) usage(`--${k} needs --health-url`);
  }
  const sessionTimeoutMs = count("--session-timeout-ms", str("session-timeout-ms"), 10_000, 1);
  return { zkAddrs, serverset: path, address: service, endpoints, shard, health, sessionTimeoutMs };
}

export async function registerCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const text = { type: "string" } as const;
  let values: Values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        zk: text,
        path: text,
        address: text,
        endpoint: { type: "string", multiple: true },
        shard: text,
        "health-url": text,
        "health-interval-ms": text,
        "health-timeout-ms": text,
        "unhealthy-threshold": text,
        "healthy-threshold": text,
        "session-timeout-ms": text,
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    usage(`${(e as Error).message.split("\n")[0]} (see trellis register --help)`);
  }
  if (values.help) {
    out(REGISTER_USAGE);
    return 0;
  }
  const args = readArgs(values);
  const registration = new StandaloneRegistration({
    zkAddrs: args.zkAddrs,
    serverset: args.serverset,
    member: { serviceEndpoint: args.address, additionalEndpoints: args.endpoints, shard: args.shard },
    health: args.health,
    sessionTimeoutMs: args.sessionTimeoutMs,
    log: (line) => out(`trellis: ${line}\n`),
  });
  const zk = args.zkAddrs.map(showEndpoint).join(",");
  out(`trellis: registering ${showEndpoint(args.address)} in ${args.serverset} (ZooKeeper ${zk})\n`);
  // Nothing else holds the process open while ZooKeeper is unreachable.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  registration.start();
  await stopped;
  out("trellis: stopping\n");
  const removed = await registration.stop();
  if (!removed)
    out(
      "trellis: ZooKeeper did not confirm the removal; the member goes when its session ends or times out\n",
    );
  clearInterval(keepAlive);
  return 0;
}
