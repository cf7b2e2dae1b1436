// The durable store in a real `trellis namerd`: killed with SIGKILL in the middle of a stream of writes, it comes
// back with every acknowledged write, a whole data file, and its versions.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { http, type NamerdRun, startNamerd } from "./support/namerd.ts";
import { tempDir, writeConfig } from "./support/proxy-harness.ts";

const NAMESPACES = 5;
const WRITERS = 4;

describe("trellis namerd with io.trellis.durable", () => {
  const dir = tempDir("trellis-namerd-durable-");
  const config = writeConfig(
    dir.path,
    `admin: {port: 0}
storage: {kind: io.trellis.durable, dir: data}
interfaces:
- kind: io.l5d.httpController
  port: 0
`,
    "namerd.yaml",
  );
  const running: NamerdRun[] = [];
  const start = async () => {
    const n = await startNamerd(config);
    running.push(n);
    return n;
  };

  after(async () => {
    for (const n of running) await n.stop();
    dir.cleanup();
  });

  it("keeps every acknowledged write through SIGKILLs in the middle of writing", async () => {
    /** Per namespace: the highest write number acknowledged, and the highest sent. */
    const acked = new Array<number>(NAMESPACES).fill(-1);
    const sent = new Array<number>(NAMESPACES).fill(-1);
    let next = 0;
    for (let round = 0; round < 3; round++) {
      const namerd = await start();
      // Whatever was acknowledged before the last kill is there, and nothing newer than was ever sent.
      for (let ns = 0; ns < NAMESPACES; ns++) {
        const r = await http(namerd.http, "GET", `/api/1/dtabs/ns${ns}`, {
          headers: { Accept: "application/dtab" },
        });
        if (acked[ns] === -1 && r.status === 404) continue;
        assert.equal(r.status, 200, `ns${ns} after round ${round}`);
        const n = Number(/^\/n=>\/v(\d+)\n$/.exec(r.body)?.[1]);
        assert.ok(n >= (acked[ns] as number), `ns${ns}: found write ${n}, but ${acked[ns]} was acknowledged`);
        assert.ok(n <= (sent[ns] as number), `ns${ns}: found write ${n}, never sent (last sent ${sent[ns]})`);
        acked[ns] = n;
      }
      if (round > 0) {
        // Never torn: the data file is always one whole JSON document.
        const file = JSON.parse(readFileSync(join(dir.path, "data", "dtabs.json"), "utf8"));
        assert.equal(file.format, "trellis.dtabs/1");
      }
      // Write as fast as the writers can until the process is killed, at a moment that varies by round.
      let killed = false;
      const writer = async () => {
        while (!killed) {
          const i = next++;
          const ns = i % NAMESPACES;
          sent[ns] = Math.max(sent[ns] as number, i);
          try {
            const r = await http(namerd.http, "PUT", `/api/1/dtabs/ns${ns}`, {
              headers: { "Content-Type": "application/dtab" },
              body: `/n => /v${i}`,
            });
            if (r.status === 204) acked[ns] = Math.max(acked[ns] as number, i);
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, writer);
      await new Promise((r) => setTimeout(r, 150 + 100 * round));
      namerd.proc.child.kill("SIGKILL");
      await namerd.proc.exited;
      killed = true;
      await Promise.all(writers);
      assert.ok(
        acked.some((n) => n >= 0),
        "some writes were acknowledged before the kill",
      );
    }
    const last = await start();
    for (let ns = 0; ns < NAMESPACES; ns++) {
      const r = await http(last.http, "GET", `/api/1/dtabs/ns${ns}`, {
        headers: { Accept: "application/dtab" },
      });
      const n = Number(/v(\d+)/.exec(r.body)?.[1]);
      assert.ok(n >= (acked[ns] as number) && n <= (sent[ns] as number), `ns${ns}: ${n}`);
    }
    assert.deepEqual(
      readdirSync(join(dir.path, "data")).filter((f) => f.includes(".tmp-")),
      [],
      "half-written temporaries are cleared at start",
    );
  });

  it("keeps versions across a restart, so an ETag read before it still guards an update after it", async () => {
    const a = running.at(-1) as NamerdRun;
    await http(a.http, "PUT", "/api/1/dtabs/versioned", {
      headers: { "Content-Type": "application/dtab" },
      body: "/a=>/b",
    });
    const etag = (await http(a.http, "HEAD", "/api/1/dtabs/versioned")).headers.etag as string;
    await a.stop();
    const b = await start();
    assert.equal((await http(b.http, "HEAD", "/api/1/dtabs/versioned")).headers.etag, etag);
    const ok = await http(b.http, "PUT", "/api/1/dtabs/versioned", {
      headers: { "Content-Type": "application/dtab", "If-Match": etag },
      body: "/a=>/c",
    });
    assert.equal(ok.status, 204);
    const stale = await http(b.http, "PUT", "/api/1/dtabs/versioned", {
      headers: { "Content-Type": "application/dtab", "If-Match": etag },
      body: "/a=>/d",
    });
    assert.equal(stale.status, 412);
  });

  it("refuses to start a second namerd on a data directory in use, naming the process", async () => {
    const holder = running.at(-1) as NamerdRun;
    const { runTrellis } = await import("./support/proxy-harness.ts");
    const r = await runTrellis(["namerd", config], { killWhen: /listening/ });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`in use by process ${holder.proc.pid}`));
  });
});
