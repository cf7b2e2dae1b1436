// The ZooKeeper library (node-zookeeper-client 1.1.3, pinned), loaded on first use, and what ZkClient needs of it besides its API.

import type { Socket } from "node:net";
import type * as Zk from "node-zookeeper-client";
import type { ZkAcl, ZkCreateMode, ZkErrorCode, ZkWatchEvent } from "./zk-client.ts";
import { FrameSplitter } from "./zk-frames.ts";

export type ZkLibrary = typeof Zk;
export type LibClient = Zk.Client;
export type LibEvent = Zk.Event;
export type LibState = Zk.State;
export type LibException = Zk.Exception;

let library: Promise<ZkLibrary> | undefined;

/** The library, loaded on first use: a proxy without a ZooKeeper namer does not pay its memory (~3 MB). */
export function loadLibrary(): Promise<ZkLibrary> {
  // The package is CommonJS: its exports are the default export (and, under a bundler, maybe the module itself).
  library ??= import("node-zookeeper-client").then((m) => {
    const zk = (m as unknown as { default?: ZkLibrary }).default ?? m;
    tolerateUnknownErrorCodes(zk);
    return zk;
  });
  return library;
}

/** ZooKeeper's UNKNOWNSESSION: a request on a session the server has just forgotten (closed, expired). */
const UNKNOWN_SESSION = -12;

/**
 * The library throws "Unknown code" from its socket handler (an uncaught exception: the process dies) when a
 * server answers with an error code it does not list, as ZooKeeper 3.5+ does with UNKNOWNSESSION (-12) to a
 * request that arrives between a session's end and its connection's close. Such answers become the library's
 * SESSION_EXPIRED (for -12) or SYSTEM_ERROR, which ZkClient handles.
 */
function tolerateUnknownErrorCodes(zk: ZkLibrary): void {
  const exception = zk.Exception as unknown as {
    create(code: number, path?: string): unknown;
    tolerant?: boolean;
  };
  if (exception.tolerant) return;
  const create = exception.create;
  exception.create = (code: number, path?: string) => {
    try {
      return create(code, path);
    } catch {
      const known = code === UNKNOWN_SESSION ? zk.Exception.SESSION_EXPIRED : zk.Exception.SYSTEM_ERROR;
      return create(known, path);
    }
  };
  exception.tolerant = true;
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

/** ACL entries in the library's form; `perms` letters c r w d a. */
export function aclsOf(zk: ZkLibrary, acls: readonly ZkAcl[]): Zk.ACL[] {
  const bit: Record<string, number> = {
    c: zk.Permission.CREATE,
    r: zk.Permission.READ,
    w: zk.Permission.WRITE,
    d: zk.Permission.DELETE,
    a: zk.Permission.ADMIN,
  };
  return acls.map(
    (a) =>
      new zk.ACL(
        [...a.perms].reduce((sum, c) => sum | (bit[c] ?? 0), 0),
        new zk.Id(a.scheme, a.id),
      ),
  );
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
    case zk.Exception.NO_AUTH:
    case zk.Exception.AUTH_FAILED:
      return "no-auth";
    default:
      return "other";
  }
}

/**
 * What the library does not declare: its connection manager, reached only to cut a silent connection, to
 * close a client that is not connected, and to split what it reads into frames.
 */
interface ConnectionManager {
  socket?: Socket;
  state: number;
  connect(): void;
  onSocketConnected(): void;
  /** Reads one frame or more; bound to each new socket's `data` event when the socket is made. */
  onSocketData(data: Buffer): void;
  /** Requests waiting to be written; says `readable` for each one queued, and each is written at once. */
  packetQueue: { prependListener(event: "readable", listener: () => void): void };
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

/**
 * Splits what the client reads into frames itself and hands the library one whole frame at a time, which its
 * own splitter takes without copying (see FrameSplitter: it copied the rest of each read once per frame). Each
 * new connection starts afresh, so no half frame of a lost connection is read as the start of the next one.
 * Must be called before the client connects.
 */
export function splitFrames(lib: LibClient): void {
  const cm = connectionManager(lib);
  const readFrame = Object.getPrototypeOf(cm).onSocketData as (
    this: ConnectionManager,
    frame: Buffer,
  ) => void;
  let socket: Socket | undefined;
  let frames = new FrameSplitter();
  cm.onSocketData = function (this: ConnectionManager, data: Buffer) {
    if (this.socket !== socket) {
      socket = this.socket;
      frames = new FrameSplitter();
    }
    if (!frames.push(data, (frame) => readFrame.call(this, frame))) this.socket?.destroy();
  };
  // The library writes each request as it is queued, one system call each: hold them until the end of the
  // tick, so that a burst (the members of a large serverset read at once) goes out in one write.
  let corked: Socket | undefined;
  cm.packetQueue.prependListener("readable", () => {
    const s = cm.socket;
    if (s === undefined || corked === s || s.destroyed) return;
    corked = s;
    s.cork();
    process.nextTick(() => {
      corked = undefined;
      s.uncork();
    });
  });
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
