// A router's listening socket: accepts connections and serves each with a ClientConnection.

import { createServer, type Server, type Socket } from "node:net";
import { ClientConnection, type ConnectionLimits, type ConnectionRouter } from "./client-connection.ts";

export interface Http1Server {
  readonly server: Server;
  /** Stops accepting; idle connections close now, busy ones when their exchange is done. */
  stopAccepting(): Promise<void>;
  /** Cuts every connection still open. */
  closeAll(): void;
  readonly connections: number;
}

export function createHttp1Server(router: ConnectionRouter, limits: ConnectionLimits): Http1Server {
  const open = new Map<Socket, ClientConnection>();
  const server = createServer({ noDelay: true, allowHalfOpen: false, pauseOnConnect: true }, (socket) => {
    open.set(socket, new ClientConnection(socket, router, limits));
    socket.resume();
    socket.once("close", () => open.delete(socket));
  });
  return {
    server,
    get connections() {
      return open.size;
    },
    stopAccepting: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of open.values()) c.drain();
      }),
    closeAll: () => {
      for (const s of open.keys()) s.destroy();
    },
  };
}
