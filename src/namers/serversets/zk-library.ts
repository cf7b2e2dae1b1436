// The ZooKeeper library (node-zookeeper-client 1.1.3, pinned), loaded on first use, and what ZkClient needs of it besides its API.

import type { Socket } from "node:net";
import type * as Zk from "node-zookeeper-client";
import type { ZkCreateMode, ZkErrorCode, ZkWatchEvent } from "./zk-client.ts";

export type ZkLibrary = typeof Zk;
export type LibClient = Zk.Client;
export type LibEvent = Zk.Event;
export type LibState = Zk.State;
export type LibException = Zk.Exception;

let library: Promise<ZkLibrary> | undefined;

/** The library, loaded on first use: a proxy without a ZooKeeper namer does not pay its memory (~3 MB). */
export function loadLibrary(): Promise<ZkLibrary> {
  // The package is CommonJS: its exports are the default export (and, under a bundler, maybe the module itself).
  library ??= import("node-zookeeper-client").then(
    (m) => (m as unknown as { default?: ZkLibrary }).default ?? m,
  );
  return library;
}

export function createModeOf(zk: ZkLibrary, mode: ZkCreateMode): number {
  switch (mode) {
    case "persistent":
      return zk.CreateMode.PERSISTENT;
    case "ephemeral":
      return zk.CreateMode.EPHEMERAL;
    case "persistent-sequential":
      return zk.CreateMode.PERSISTENT_SEQUENTIAL;
    case "ephemeral-sequential":
      return zk.CreateMode.EPHEMERAL_SEQUENTIAL;
  }
}

export function eventTypeOf(zk: ZkLibrary, type: number): ZkWatchEvent["type"] {
  switch (type) {
    case zk.Event.NODE_CREATED:
      return "created";
    case zk.Event.NODE_DELETED:
      return "deleted";
    case zk.Event.NODE_DATA_CHANGED:
      return "data";
    default:
      return "children";
  }
}

export function errorCodeOf(zk: ZkLibrary, e: Error | LibException): ZkErrorCode {
  switch ((e as { code?: unknown }).code) {
    case zk.Exception.CONNECTION_LOSS:
    case zk.Exception.OPERATION_TIMEOUT:
      return "connection-loss";
    case zk.Exception.SESSION_EXPIRED:
      return "session-expired";
    case zk.Exception.NO_NODE:
      return "no-node";
    case zk.Exception.NODE_EXISTS:
      return "node-exists";
    case zk.Exception.NOT_EMPTY:
      return "not-empty";
    case zk.Exception.BAD_VERSION:
      return "bad-version";
    default:
      return "other";
  }
}

/**
 * What the library does not declare: its connection manager, reached only to cut a silent connection and to
 * close a client that is not connected.
 */
interface ConnectionManager {
  socket?: Socket;
  state: number;
  connect(): void;
  onSocketConnected(): void;
  on(event: "state", listener: (state: number) => void): void;
}

/** The connection manager's states: connecting (the handshake included), and closed. */
const CM_CONNECTING = 1;
const CM_CLOSED = -2;
/** How long a connected client waits for the server to confirm the end of its session. */
const CLOSE_TIMEOUT_MS = 1000;

function connectionManager(lib: LibClient): ConnectionManager {
  return (lib as unknown as { connectionManager: ConnectionManager }).connectionManager;
}

/** Cuts the client's connection, so that it reconnects (to the next server) as after any lost connection. */
export function cutConnection(lib: LibClient): void {
  connectionManager(lib).socket?.destroy();
}

/** The client's socket when it is connected but its session handshake is not answered yet, else undefined. */
export function pendingHandshake(lib: LibClient): Socket | undefined {
  const cm = connectionManager(lib);
  const socket = cm.socket;
  if (cm.state !== CM_CONNECTING || socket === undefined || socket.connecting || socket.destroyed)
    return undefined;
  return socket;
}

/**
 * Closes a library client for good. A connected one sends the end of its session and waits (up to a second)
 * for the server to close the connection. One that is not connected would otherwise go on: a retry already
 * scheduled would connect later and hang there, so its next connections are cut as they open.
 */
export async function closeLibClient(lib: LibClient, connected: boolean): Promise<void> {
  const cm = connectionManager(lib);
  const closed = new Promise<void>((resolve) => {
    cm.on("state", (s) => {
      if (s === CM_CLOSED) resolve();
    });
  });
  cm.connect = () => {};
  cm.onSocketConnected = function (this: ConnectionManager) {
    this.socket?.destroy();
  };
  lib.close();
  if (connected) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  cm.socket?.destroy();
}
