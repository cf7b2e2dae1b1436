// How a benchmark's helper server (origin or Node proxy, run as its own process) stops: on a signal, or with its parent.

/**
 * Closes `server` and exits on SIGTERM or SIGINT, after `cleanup` (the proxy's own agent or pool, say); and
 * exits if the benchmark that started this process died without stopping it (SIGKILL), so no orphan lingers.
 * @param {import("node:http").Server} server
 * @param {() => void} [cleanup]
 */
export function stopOnSignalOrParentExit(server, cleanup = () => {}) {
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    cleanup();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}
