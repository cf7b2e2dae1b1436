// A serverset member's JSON (serviceEndpoint, additionalEndpoints, status, shard) and which of its endpoints a path selects.

/** A host and port a member offers. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** What one `member_*` znode says of one instance of a service. */
export interface ServersetMember {
  /** `ALIVE`, `DEAD`, `STARTING`, `STOPPING`, `STOPPED`, `WARNING`... as written; undefined when absent. */
  readonly status: string | undefined;
  readonly serviceEndpoint: Endpoint | undefined;
  readonly additionalEndpoints: ReadonlyMap<string, Endpoint>;
  readonly shard: number | undefined;
}

/** A member whose data is not serverset JSON. */
export class MemberSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemberSyntaxError";
  }
}

/**
 * Reads a member's JSON. Only its being a JSON object is required: an endpoint without a usable host and port
 * (1-65535) is left out, as Finagle does, so a member can still offer its other endpoints.
 */
export function parseMember(json: string): ServersetMember {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new MemberSyntaxError(`not JSON: ${(e as Error).message}`);
  }
  if (!isObject(data)) throw new MemberSyntaxError("not a JSON object");
  const additional = new Map<string, Endpoint>();
  if (isObject(data.additionalEndpoints)) {
    for (const [name, value] of Object.entries(data.additionalEndpoints)) {
      const e = endpointOf(value);
      if (e !== undefined) additional.set(name, e);
    }
  }
  return {
    status: typeof data.status === "string" ? data.status : undefined,
    serviceEndpoint: endpointOf(data.serviceEndpoint),
    additionalEndpoints: additional,
    shard: typeof data.shard === "number" && Number.isInteger(data.shard) ? data.shard : undefined,
  };
}

/** What a serverset path asks for: an additional endpoint by name (else the service endpoint), a shard. */
export interface EndpointSelection {
  readonly endpoint?: string | undefined;
  readonly shard?: number | undefined;
}

/**
 * The endpoint of `member` that `selection` picks, if the member is ALIVE, has it, and is in the shard asked
 * for (a member without a shard is in none).
 */
export function selectEndpoint(member: ServersetMember, selection: EndpointSelection): Endpoint | undefined {
  if (member.status !== "ALIVE") return undefined;
  if (selection.shard !== undefined && member.shard !== selection.shard) return undefined;
  if (selection.endpoint === undefined) return member.serviceEndpoint;
  return member.additionalEndpoints.get(selection.endpoint);
}

function endpointOf(value: unknown): Endpoint | undefined {
  if (!isObject(value)) return undefined;
  const { host, port } = value;
  if (typeof host !== "string" || host === "") return undefined;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
