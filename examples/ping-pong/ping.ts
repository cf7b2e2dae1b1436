// The article's ping service: `/ping` answers `ping`, every other path calls pong (through the sidecar if set).

import { goHttpGet, proxyConfigFromEnv } from "./go-http-get.ts";
import { die, parseServiceArgs, reply, requestPath, serve } from "./service.ts";

// The Go code after the article's Sidecar部署 change:
//
//   os.Setenv("http_proxy", "http://localhost:4001")
//   resp, err := http.Get("http://pong/pong")
//
// Here the proxy comes from the environment instead of being set in code: with HTTP_PROXY or http_proxy set
// (Go reads HTTP_PROXY first), the request for pong goes to that proxy as `GET http://pong/pong HTTP/1.1` with
// `Host: pong`, and the sidecar routes on the name `pong` (`/svc/pong`). With no proxy it goes straight to
// `http://localhost:8002/pong`, the article's original address. `--pong-url` or PONG_URL replaces either.
// As in Go, a request for localhost, a loopback address or a host in NO_PROXY never goes through the proxy.
// Every request logs `Handle request`; the Go code logs in its `/` handler only, which in Go's ServeMux is
// every path but `/ping`.

const spec = {
  name: "ping",
  defaultPort: 8001,
  extra: {
    "pong-url": {
      env: "PONG_URL",
      metavar: "URL",
      help: "what `/` GETs",
      defaultText: "http://pong/pong when HTTP_PROXY or http_proxy is set, else http://localhost:8002/pong",
    },
  },
} as const;

/** The name the mesh routes on: ping asks the sidecar for `http://pong/pong`. */
const MESH_PONG_URL = "http://pong/pong";
/** Where pong listens when there is no sidecar (the article's code before the change). */
const DIRECT_PONG_URL = "http://localhost:8002/pong";
/** The Go code waits for pong forever; here a call that takes longer than this fails, so ping never hangs. */
const UPSTREAM_TIMEOUT_MS = 10_000;

const options = parseServiceArgs(spec);
const proxyConfig = proxyConfigFromEnv();

let pongUrl: URL;
const pongUrlText =
  options.extra["pong-url"] ?? (proxyConfig.httpProxy === "" ? DIRECT_PONG_URL : MESH_PONG_URL);
try {
  pongUrl = new URL(pongUrlText);
} catch {
  die(spec.name, `--pong-url/PONG_URL is not a URL: ${JSON.stringify(pongUrlText)}`, 2);
}
if (pongUrl.protocol !== "http:") {
  die(spec.name, `--pong-url/PONG_URL must be an http: URL, not ${pongUrl.href}`, 2);
}

serve(spec, options, (req, res) => {
  if (requestPath(req) === "/ping") {
    reply(res, "ping\n");
    return;
  }
  // A client that hangs up stops the call to pong too.
  const hangUp = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) hangUp.abort(new Error("the client went away"));
  });
  const signal = AbortSignal.any([hangUp.signal, AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)]);
  void goHttpGet(pongUrl, proxyConfig, signal).then((outcome) => {
    const why = signal.aborted ? `${(signal.reason as Error | undefined)?.message ?? signal.reason}` : "";
    // The replies are the Go code's, byte for byte: Fprintln adds a newline, Fprintf with %s does not.
    switch (outcome.kind) {
      case "body":
        reply(res, Buffer.concat([Buffer.from("I'm ping, talk to pong with response: "), outcome.body]));
        return;
      case "get-failed":
        process.stderr.write(`ping: GET ${pongUrl.href}: ${why || outcome.error.message}\n`);
        // "falied" is the article's typo; it is kept because the article's readers (and tests) look for it.
        reply(res, "I'm ping, talk to pong falied\n");
        return;
      case "read-failed":
        process.stderr.write(
          `ping: reading the body from ${pongUrl.href}: ${why || outcome.error.message}\n`,
        );
        reply(res, "I'm ping, talk to pong with return empty\n");
        return;
    }
  });
});
