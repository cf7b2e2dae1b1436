// `/client_state.json`: each client's (bound id's) resolution state and addresses, as Linkerd shows them.

import type { RouterView } from "../router/http-router.ts";

export interface ClientState {
  readonly state: string;
  readonly addresses: string[];
}

export function clientStateJson(routers: readonly RouterView[]): Record<string, ClientState> {
  const out: Record<string, ClientState> = {};
  for (const router of routers) {
    for (const client of router.clients()) {
      const a = client.addr;
      const state =
        a.kind === "bound"
          ? "bound"
          : a.kind === "failed"
            ? `Failed: ${a.cause}`
            : a.kind === "neg"
              ? "Neg"
              : "Pending";
      out[client.id.show] = { state, addresses: client.endpoints.map((e) => e.key) };
    }
  }
  return out;
}
