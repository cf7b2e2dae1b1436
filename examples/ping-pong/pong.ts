// The article's pong service: `/pong` answers `pong`, every other path a line saying this is pong.

import { parseServiceArgs, reply, requestPath, serve } from "./service.ts";

// The article shows only ping's Go source and says pong is alike ("pong服务和ping服务类似，提供
// http://localhost:8002/和http://localhost:8002/pong两个接口"). `/pong` answers `pong` with no newline, so that
// ping's `Fprintf(w, "...response: %s", body)` reads as one line: `I'm ping, talk to pong with response: pong`.
// Like Go's ServeMux, `/pong` is an exact match and `/` catches every other path.

const spec = { name: "pong", defaultPort: 8002 } as const;

const options = parseServiceArgs(spec);
serve(spec, options, (req, res) => {
  reply(res, requestPath(req) === "/pong" ? "pong" : "I'm pong\n");
});
