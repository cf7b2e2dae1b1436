// namerd's HTTP controller in a running `trellis namerd`: every endpoint, status and shape, watch streams, write tokens, admin.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { http, type NamerdRun, startNamerdWith, WatchStream } from "./support/namerd.ts";
import { tempDir } from "./support/proxy-harness.ts";

const V1 = "AAAAAAAAAAE="; // namerd's in-memory first version: 8 bytes, big-endian 1
const JSON_CT = "application/json";

describe("trellis namerd: the HTTP controller", () => {
  const dir = tempDir("trellis-namerd-api-");
  const disco = join(dir.path, "disco");
  let namerd: NamerdRun;
  let guarded = 0;
  let port = 0;
  const watches: WatchStream[] = [];
  const watch = (path: string, headers?: Record<string, string>) => {
    const w = new WatchStream(port, path, headers);
    watches.push(w);
    return w;
  };

  before(async () => {
    mkdirSync(disco);
    writeFileSync(join(disco, "pong"), "127.0.0.1 8002\n");
    namerd = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage:
  kind: io.l5d.inMemory
  namespaces:
    yeezus: /yeezy => /yeezus
    tlop: /yeezy => /pablo
    default: /svc => /#/io.l5d.fs; /svc/inet => /$/inet/127.1/8002
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
interfaces:
- kind: io.l5d.httpController
  port: 0
- kind: io.l5d.httpController
  port: 0
  writeToken: s3cret
`,
    );
    port = namerd.http;
    const second = namerd.proc.lines.filter((l) => /httpController listening/.test(l))[1] ?? "";
    guarded = Number(/:(\d+)$/.exec(second)?.[1]);
  });

  after(async () => {
    for (const w of watches) w.close();
    await namerd?.stop();
    dir.cleanup();
  });

  describe("dtabs", () => {
    it("lists the namespaces sorted, as JSON with a newline, at /dtabs and /dtabs/", async () => {
      for (const path of ["/api/1/dtabs", "/api/1/dtabs/"]) {
        const r = await http(port, "GET", path);
        assert.equal(r.status, 200);
        assert.equal(r.headers["content-type"], JSON_CT);
        assert.equal(r.body, '["default","tlop","yeezus"]\n');
      }
      assert.equal((await http(port, "GET", "/api/1/dtabsexpialidocious")).status, 404);
    });

    it("gets a dtab as JSON with its version in ETag", async () => {
      const r = await http(port, "GET", "/api/1/dtabs/yeezus");
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], JSON_CT);
      assert.equal(r.headers.etag, V1);
      assert.equal(r.body, '[{"prefix":"/yeezy","dst":"/yeezus"}]\n');
    });

    it("gets dtab text when Accept asks for application/dtab or text/plain first", async () => {
      for (const [accept, type] of [
        ["application/dtab;q=0.9, application/json", "application/dtab"],
        ["text/plain, application/json", "text/plain"],
      ]) {
        const r = await http(port, "GET", "/api/1/dtabs/yeezus", { headers: { Accept: accept as string } });
        assert.equal(r.headers["content-type"], type);
        assert.equal(r.headers.etag, V1);
        assert.equal(r.body, "/yeezy=>/yeezus\n");
      }
    });

    it("answers 404 for a namespace that does not exist; HEAD gives the ETag without a body", async () => {
      assert.equal((await http(port, "GET", "/api/1/dtabs/graduation")).status, 404);
      const head = await http(port, "HEAD", "/api/1/dtabs/tlop");
      assert.equal(head.status, 200);
      assert.equal(head.headers.etag, "AAAAAAAAAAI=");
      assert.equal(head.body, "");
      assert.equal((await http(port, "HEAD", "/api/1/dtabs/graduation")).status, 404);
    });

    it("creates with POST in each media type (204), and refuses an existing namespace (409)", async () => {
      const bodies: [string, string][] = [
        [JSON_CT, '[{"prefix":"/yeezy","dst":"/kanye"}]'],
        ["application/json;charset=UTF-8", '[{"prefix":"/yeezy","dst":"/kanye"}]'],
        ["text/plain", "/yeezy => /kanye"],
        ["application/dtab", "/yeezy => /kanye"],
      ];
      for (const [i, [ct, body]] of bodies.entries()) {
        const r = await http(port, "POST", `/api/1/dtabs/graduation${i}`, {
          headers: { "Content-Type": ct },
          body,
        });
        assert.equal(r.status, 204, `${ct}: ${r.body}`);
        const got = await http(port, "GET", `/api/1/dtabs/graduation${i}`, {
          headers: { Accept: "application/dtab" },
        });
        assert.equal(got.body, "/yeezy=>/kanye\n");
      }
      const again = await http(port, "POST", "/api/1/dtabs/graduation0", {
        headers: { "Content-Type": "application/dtab" },
        body: "/a=>/b",
      });
      assert.equal(again.status, 409);
      assert.match(again.body, /already exists/);
    });

    it("refuses a body without a known Content-Type (400)", async () => {
      const none = await http(port, "POST", "/api/1/dtabs/ct", { body: "/yeezy => /kanye" });
      assert.equal(none.status, 400);
      assert.match(none.body, /Content-Type is required/);
      const form = await http(port, "POST", "/api/1/dtabs/ct", {
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "a=b",
      });
      assert.equal(form.status, 400);
    });

    it("answers a malformed dtab with 400 saying where, and leaves the stored dtab as it was", async () => {
      const text = await http(port, "PUT", "/api/1/dtabs/yeezus", {
        headers: { "Content-Type": "application/dtab" },
        body: "/yeezy => /kanye;\n/oops =-> /x",
      });
      assert.equal(text.status, 400);
      assert.match(text.body, /invalid dtab: expected '=>' at 2:7/);
      const json = await http(port, "PUT", "/api/1/dtabs/yeezus", {
        headers: { "Content-Type": JSON_CT },
        body: "[null]",
      });
      assert.equal(json.status, 400);
      assert.match(json.body, /invalid dentries/);
      const r = await http(port, "GET", "/api/1/dtabs/yeezus");
      assert.equal(r.body, '[{"prefix":"/yeezy","dst":"/yeezus"}]\n');
      assert.equal(r.headers.etag, V1);
    });

    it("PUT without If-Match creates or replaces; with a current one replaces; a stale one is 412", async () => {
      const put = (ns: string, body: string, ifMatch?: string) =>
        http(port, "PUT", `/api/1/dtabs/${ns}`, {
          headers: { "Content-Type": "application/dtab", ...(ifMatch ? { "If-Match": ifMatch } : {}) },
          body,
        });
      assert.equal((await put("upserted", "/a => /b")).status, 204);
      assert.equal((await http(port, "GET", "/api/1/dtabs/upserted")).status, 200);
      const etag = (await http(port, "HEAD", "/api/1/dtabs/upserted")).headers.etag as string;
      assert.equal((await put("upserted", "/a => /c", etag)).status, 204);
      const stale = await put("upserted", "/a => /d", etag);
      assert.equal(stale.status, 412);
      assert.equal((await put("upserted", "/a => /e", "yolo")).status, 412);
      const r = await http(port, "GET", "/api/1/dtabs/upserted", { headers: { Accept: "application/dtab" } });
      assert.equal(r.body, "/a=>/c\n");
      assert.equal(
        (await put("never-made", "/a => /b", etag)).status,
        404,
        "If-Match on a missing namespace",
      );
    });

    it("two concurrent updates with the same If-Match: exactly one wins, the other gets 412", async () => {
      const etag = (await http(port, "HEAD", "/api/1/dtabs/tlop")).headers.etag as string;
      const results = await Promise.all(
        ["/yeezy => /one", "/yeezy => /two"].map((body) =>
          http(port, "PUT", "/api/1/dtabs/tlop", {
            headers: { "Content-Type": "application/dtab", "If-Match": etag },
            body,
          }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [204, 412]);
    });

    it("deletes (204), and a second delete is 404", async () => {
      assert.equal((await http(port, "DELETE", "/api/1/dtabs/graduation3")).status, 204);
      assert.equal((await http(port, "DELETE", "/api/1/dtabs/graduation3")).status, 404);
      assert.equal((await http(port, "GET", "/api/1/dtabs/graduation3")).status, 404);
    });

    it("refuses methods it does not have (405) and names it cannot store (400)", async () => {
      assert.equal((await http(port, "PATCH", "/api/1/dtabs/tlop")).status, 405);
      assert.equal((await http(port, "POST", "/api/1/dtabs")).status, 405);
      const bad = await http(port, "PUT", "/api/1/dtabs/a%20b", {
        headers: { "Content-Type": "application/dtab" },
        body: "/a=>/b",
      });
      assert.equal(bad.status, 400);
      assert.match(bad.body, /invalid dtab namespace "a b"/);
    });
  });

  describe("bind, addr, resolve, delegate, bound names", () => {
    it("binds a path in a namespace: namerd's tree JSON with addresses", async () => {
      const r = await http(port, "GET", "/api/1/bind/default?path=/svc/pong");
      assert.equal(r.status, 200);
      assert.equal(
        r.body,
        '{"type":"leaf","bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8002,"meta":{}}],"meta":{}},"id":"/#/io.l5d.fs/pong","path":"/"}}\n',
      );
      const neg = await http(port, "GET", "/api/1/bind/default?path=/nothing/here");
      assert.equal(neg.body, '{"type":"neg"}\n');
    });

    it("binds with an extra dtab", async () => {
      const r = await http(
        port,
        "GET",
        `/api/1/bind/yeezus?path=/foo&dtab=${encodeURIComponent("/foo=>/$/inet/127.1/9")}`,
      );
      assert.equal(JSON.parse(r.body).bound.id, "/$/inet/127.1/9");
    });

    it("answers an invalid path or dtab with 400 and the reason", async () => {
      for (const op of ["bind", "addr", "resolve", "delegate"]) {
        const r = await http(port, "GET", `/api/1/${op}/default?path=invalid`);
        assert.equal(r.status, 400, op);
        assert.match(r.body, /^Invalid path: invalid/);
        assert.equal((await http(port, "GET", `/api/1/${op}/default`)).status, 400, `${op} without path`);
      }
      const dtab = await http(port, "GET", "/api/1/bind/default?path=/a&dtab=%2Fa%3D%3E");
      assert.equal(dtab.status, 400);
      assert.match(dtab.body, /^Invalid dtab/);
    });

    it("gives the address of a bound id, with a transformer prefix stripped as namerd does", async () => {
      const expected = '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8002,"meta":{}}],"meta":{}}\n';
      assert.equal((await http(port, "GET", "/api/1/addr/default?path=/%23/io.l5d.fs/pong")).body, expected);
      assert.equal(
        (await http(port, "GET", "/api/1/addr/default?path=/%25/io.l5d.port/4004/%23/io.l5d.fs/pong")).body,
        expected,
      );
      assert.equal(
        (await http(port, "GET", "/api/1/addr/default?path=/%23/io.l5d.fs/nobody")).body,
        '{"type":"neg"}\n',
      );
    });

    it("resolves a logical name to its addresses, and to neg when it binds to nothing", async () => {
      const r = await http(port, "GET", "/api/1/resolve/default?path=/svc/inet");
      assert.equal(r.headers["content-type"], JSON_CT);
      assert.equal(r.body, '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8002,"meta":{}}],"meta":{}}\n');
      assert.equal(
        (await http(port, "GET", "/api/1/resolve/default?path=/nothing")).body,
        '{"type":"neg"}\n',
      );
    });

    it("delegates in a namespace, with an extra dtab, and without a namespace: namerd's exact JSON", async () => {
      const ns = await http(port, "GET", "/api/1/delegate/yeezus?path=/yeezy");
      assert.equal(ns.status, 200);
      assert.equal(ns.headers["content-type"], JSON_CT);
      assert.equal(
        ns.body,
        '{"type":"delegate","path":"/yeezy","delegate":{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}}',
      );
      const both = await http(port, "GET", "/api/1/delegate/yeezus?path=/yeezy&dtab=/yeezy=>/bar");
      assert.equal(
        both.body,
        '{"type":"alt","path":"/yeezy","alt":[{"type":"neg","path":"/bar","dentry":{"prefix":"/yeezy","dst":"/bar"}},{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}]}',
      );
      const plain = await http(port, "GET", "/api/1/delegate?dtab=/foo=>/bar&path=/foo");
      assert.equal(
        plain.body,
        '{"type":"delegate","path":"/foo","delegate":{"type":"neg","path":"/bar","dentry":{"prefix":"/foo","dst":"/bar"}}}',
      );
      const posted = await http(port, "POST", "/api/1/delegate", {
        headers: { "Content-Type": JSON_CT },
        body: JSON.stringify({ namespace: "yeezus", dtab: "", path: "/yeezy" }),
      });
      assert.equal(posted.body, ns.body);
    });

    it("lists the names enumerating namers know", async () => {
      const r = await http(port, "GET", "/api/1/bound-names");
      assert.equal(r.headers["content-type"], JSON_CT);
      assert.equal(r.body, '["/#/io.l5d.fs/pong"]\n');
    });

    it("answers 404 for paths it does not serve", async () => {
      for (const path of ["/", "/api/1/bind", "/api/1/bindings/default?path=/a", "/api/2/dtabs"]) {
        assert.equal((await http(port, "GET", path)).status, 404, path);
      }
    });
  });

  describe("watch streams", () => {
    it("streams the namespace list, one JSON document a line, each change within a second", async () => {
      const w = watch("/api/1/dtabs?watch=true");
      await w.opened;
      assert.equal(w.status, 200);
      assert.equal(w.headers["content-type"], JSON_CT);
      assert.equal(w.headers["transfer-encoding"], "chunked");
      const first = JSON.parse(await w.line(0)) as string[];
      assert.ok(first.includes("yeezus"));
      await http(port, "POST", "/api/1/dtabs/watched-new", {
        headers: { "Content-Type": "application/dtab" },
        body: "/a=>/b",
      });
      const second = JSON.parse(await w.line(1, 1000)) as string[];
      assert.deepEqual(second, [...first, "watched-new"].sort());
    });

    it("streams a dtab as it changes; a namespace that does not exist yet is waited for", async () => {
      const w = watch("/api/1/dtabs/later?watch=1", { Accept: "application/dtab" });
      await w.opened;
      assert.equal(w.headers["content-type"], "application/dtab");
      const put = (body: string) =>
        http(port, "PUT", "/api/1/dtabs/later", { headers: { "Content-Type": "application/dtab" }, body });
      await put("/x => /one");
      assert.equal(await w.line(0, 1000), "/x=>/one");
      await put("/x => /one"); // the same dtab again is not streamed again
      await put("/x => /two");
      assert.equal(await w.line(1, 1000), "/x=>/two");
    });

    it("streams a binding, which follows a dtab change", async () => {
      const w = watch("/api/1/bind/default?path=/svc/moved&watch=true");
      assert.equal(await w.line(0), '{"type":"neg"}');
      await http(port, "PUT", "/api/1/dtabs/default", {
        headers: { "Content-Type": "application/dtab" },
        body: "/svc => /#/io.l5d.fs; /svc/inet => /$/inet/127.1/8002; /svc/moved => /#/io.l5d.fs/pong",
      });
      assert.equal(JSON.parse(await w.line(1, 1000)).bound.id, "/#/io.l5d.fs/pong");
    });

    it("streams an address as the namer's file changes", async () => {
      const w = watch("/api/1/addr/default?path=/%23/io.l5d.fs/pong&watch=true");
      assert.match(await w.line(0), /"port":8002/);
      writeFileSync(join(disco, "pong"), "127.0.0.1 8002\n127.0.0.1 8003\n");
      const next = JSON.parse(await w.line(1, 2000));
      assert.deepEqual(next.addrs.map((a: { port: number }) => a.port).sort(), [8002, 8003]);
    });
  });

  describe("write tokens (beyond namerd)", () => {
    it("refuses a write without the controller's bearer token (401); reads need none", async () => {
      const body = "/a => /b";
      const headers = { "Content-Type": "application/dtab" };
      const none = await http(guarded, "PUT", "/api/1/dtabs/tokened", { headers, body });
      assert.equal(none.status, 401);
      const wrong = await http(guarded, "PUT", "/api/1/dtabs/tokened", {
        headers: { ...headers, Authorization: "Bearer nope" },
        body,
      });
      assert.equal(wrong.status, 401);
      assert.equal((await http(guarded, "DELETE", "/api/1/dtabs/yeezus")).status, 401);
      const ok = await http(guarded, "PUT", "/api/1/dtabs/tokened", {
        headers: { ...headers, Authorization: "Bearer s3cret" },
        body,
      });
      assert.equal(ok.status, 204);
      assert.equal((await http(guarded, "GET", "/api/1/dtabs/tokened")).status, 200);
    });
  });

  describe("admin", () => {
    it("answers ping and metrics, lists namespaces, shows a dtab, and delegates", async () => {
      const admin = namerd.admin;
      assert.equal((await http(admin, "GET", "/admin/ping")).body, "pong");
      const metrics = JSON.parse((await http(admin, "GET", "/admin/metrics.json")).body) as Record<
        string,
        number
      >;
      assert.ok(
        (metrics["namerd/iface/io.l5d.httpController/requests"] ?? 0) > 0,
        Object.keys(metrics).join(" "),
      );
      assert.equal(typeof metrics["namerd/cache/bindings/active"], "number");
      const index = await http(admin, "GET", "/");
      assert.match(index.body, /href="\/dtab\/yeezus"/);
      const page = await http(admin, "GET", "/dtab/yeezus");
      assert.match(page.body, /\/yeezy\s+=&#62;\s+\/yeezus|\/yeezy => \/yeezus/);
      const d = await http(admin, "GET", "/dtab/delegator.json?namespace=yeezus&path=/yeezy");
      assert.equal(JSON.parse(d.body).delegate.path, "/yeezus");
      const config = await http(admin, "GET", "/config.json");
      assert.match(config.body, /"writeToken":"\(redacted\)"/);
      assert.doesNotMatch(config.body, /s3cret/);
    });
  });
});
