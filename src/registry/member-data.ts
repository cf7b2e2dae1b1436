// The data of a serverset member znode as Finagle's ZkAnnouncer writes it (and io.l5d.serversets reads it).

import type { Endpoint } from "../namers/serversets/serverset-member.ts";

/** What a member offers: its service endpoint, named additional endpoints, and its shard. */
export interface MemberSpec {
  readonly serviceEndpoint: Endpoint;
  readonly additionalEndpoints?: ReadonlyMap<string, Endpoint>;
  /** Finagle's announcer (and so Linkerd's) always writes one; 0 unless told otherwise. */
  readonly shard?: number;
}

/**
 * The member's JSON, in the field order of Finagle's ServiceInstance:
 * `{"serviceEndpoint":{"host":..,"port":..},"additionalEndpoints":{..},"status":"ALIVE","shard":0}`.
 */
export function memberData(spec: MemberSpec): Buffer {
  const additional: Record<string, Endpoint> = {};
  for (const [name, e] of spec.additionalEndpoints ?? []) additional[name] = { host: e.host, port: e.port };
  return Buffer.from(
    JSON.stringify({
      serviceEndpoint: { host: spec.serviceEndpoint.host, port: spec.serviceEndpoint.port },
      additionalEndpoints: additional,
      status: "ALIVE",
      shard: spec.shard ?? 0,
    }),
  );
}

/** `host:port`, IPv6 hosts in brackets. */
export function showEndpoint(e: Endpoint): string {
  return `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`;
}
