// namerd on a real ZooKeeper: the article's config as written, namerd's znode bytes and versions, compare-and-set,
// two namerds sharing one ZooKeeper, and ACLs.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ZkClient } from "../src/namers/serversets/zk-client.ts";
import { http, type NamerdRun, startNamerdWith, WatchStream } from "./support/namerd.ts";
import { REPO_ROOT, tempDir } from "./support/proxy-harness.ts";
import { ZooKeeperServer, zookeeperUnavailable } from "./support/zookeeper.ts";

const skip = zookeeperUnavailable() ?? false;
// Skipped suites are not counted as skipped tests: this one is, so that a run without ZooKeeper says so.
if (skip !== false) it("namerd's io.l5d.zk store against a real ZooKeeper", { skip }, () => {});

const dtabText = { "Content-Type": "application/dtab" };

describe("trellis namerd with io.l5d.zk", { skip }, () => {
  const dir = tempDir("trellis-namerd-zk-");
  let zk: ZooKeeperServer;
  let client: ZkClient;
  let article: NamerdRun;
  let other: NamerdRun;
  const watches: WatchStream[] = [];

  before(async () => {
    zk = await ZooKeeperServer.start();
    client = new ZkClient([{ host: "127.0.0.1", port: zk.port }]);
    await client.whenConnected();
    // The article's namerd config as written, but on free ports and this test's ZooKeeper.
    const text = readFileSync(join(REPO_ROOT, "examples/ping-pong/configs/04-namerd.yaml"), "utf8")
      .replace(/port: (9991|4100|4180)\b/g, "port: 0")
      .replace(/port: 2181\b/g, `port: ${zk.port}`);
    article = await startNamerdWith(dir.path, text);
    other = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage:
  kind: io.l5d.zk
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
interfaces:
- kind: io.l5d.httpController
  port: 0
`,
    );
  });

  after(async () => {
    for (const w of watches) w.close();
    await article?.stop();
    await other?.stop();
    await client?.close();
    await zk?.cleanup();
    dir.cleanup();
  });

  it("runs the article's namerd config, with both interfaces and the admin server", () => {
    const lines = article.proc.lines.join("\n");
    assert.match(lines, /namerd io\.l5d\.thriftNameInterpreter listening on 0\.0\.0\.0:\d+/);
    assert.match(lines, /namerd io\.l5d\.httpController listening on 0\.0\.0\.0:\d+/);
    assert.match(lines, /storage io\.l5d\.zk at 127\.0\.0\.1:\d+\/dtabs/);
  });

  it("stores the dtab's text in /dtabs/<ns> and versions it by the znode's version, as namerd", async () => {
    const created = await http(article.http, "POST", "/api/1/dtabs/default", {
      headers: dtabText,
      body: "/svc => /#/io.l5d.serversets/discovery;",
    });
    assert.equal(created.status, 204, created.body);
    const got = await client.getDataVersioned("/dtabs/default");
    assert.equal(got?.data.toString("utf8"), "/svc=>/#/io.l5d.serversets/discovery");
    const r = await http(article.http, "GET", "/api/1/dtabs/default");
    assert.equal(r.headers.etag, "AAAAAA==", "version 0 as 4 bytes");
    assert.equal(r.body, '[{"prefix":"/svc","dst":"/#/io.l5d.serversets/discovery"}]\n');
  });

  it("reads a dtab another namerd wrote straight into ZooKeeper, and sees its changes", async () => {
    await client.mkdirp("/dtabs");
    await client.create("/dtabs/written-by-namerd", Buffer.from("/a=>/b;/c=>/d"));
    const r = await http(article.http, "GET", "/api/1/dtabs/written-by-namerd", {
      headers: { Accept: "application/dtab" },
    });
    assert.equal(r.body, "/a=>/b;/c=>/d\n");
    const w = new WatchStream(article.http, "/api/1/dtabs/written-by-namerd?watch=true", {
      Accept: "application/dtab",
    });
    watches.push(w);
    assert.equal(await w.line(0), "/a=>/b;/c=>/d");
    await client.setDataVersioned("/dtabs/written-by-namerd", Buffer.from("/a=>/z"), -1);
    assert.equal(await w.line(1, 1000), "/a=>/z");
  });

  it("two namerds sharing one ZooKeeper see each other's writes", async () => {
    const w = new WatchStream(other.http, "/api/1/dtabs/shared?watch=true", { Accept: "application/dtab" });
    watches.push(w);
    await w.opened;
    assert.equal(
      (await http(article.http, "PUT", "/api/1/dtabs/shared", { headers: dtabText, body: "/x=>/one" }))
        .status,
      204,
    );
    assert.equal(await w.line(0, 2000), "/x=>/one");
    const etag = (await http(other.http, "HEAD", "/api/1/dtabs/shared")).headers.etag as string;
    assert.equal(etag, "AAAAAA==");
    assert.equal(
      (
        await http(other.http, "PUT", "/api/1/dtabs/shared", {
          headers: { ...dtabText, "If-Match": etag },
          body: "/x=>/two",
        })
      ).status,
      204,
    );
    assert.equal(await w.line(1, 1000), "/x=>/two");
    // The first namerd's view of the version is stale now: compare-and-set refuses it.
    const stale = await http(article.http, "PUT", "/api/1/dtabs/shared", {
      headers: { ...dtabText, "If-Match": etag },
      body: "/x=>/three",
    });
    assert.equal(stale.status, 412);
    const list = JSON.parse((await http(other.http, "GET", "/api/1/dtabs")).body) as string[];
    assert.ok(list.includes("shared") && list.includes("default"), list.join(","));
  });

  it("two concurrent updates with the same version through two namerds: exactly one wins", async () => {
    const etag = (await http(article.http, "HEAD", "/api/1/dtabs/default")).headers.etag as string;
    const results = await Promise.all(
      [article, other].map((n, i) =>
        http(n.http, "PUT", "/api/1/dtabs/default", {
          headers: { ...dtabText, "If-Match": etag },
          body: `/svc => /#/io.l5d.serversets/v${i}`,
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [204, 412]);
  });

  it("deletes the znode; create, delete and missing namespaces answer as namerd does", async () => {
    assert.equal(
      (await http(other.http, "POST", "/api/1/dtabs/shared", { headers: dtabText, body: "/a=>/b" })).status,
      409,
    );
    assert.equal((await http(other.http, "DELETE", "/api/1/dtabs/shared")).status, 204);
    assert.equal(await client.exists("/dtabs/shared"), false);
    assert.equal((await http(article.http, "GET", "/api/1/dtabs/shared")).status, 404);
    assert.equal((await http(article.http, "DELETE", "/api/1/dtabs/shared")).status, 404);
  });

  it("keeps answering with the last dtab while ZooKeeper is down, and follows changes once it is back", async () => {
    const watch = new WatchStream(other.http, "/api/1/dtabs/default?watch=true", {
      Accept: "application/dtab",
    });
    watches.push(watch);
    const before = await watch.line(0);
    await zk.stop();
    try {
      const r = await http(other.http, "GET", "/api/1/dtabs/default", {
        headers: { Accept: "application/dtab" },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, `${before}\n`);
    } finally {
      await zk.start();
    }
    await client.whenConnected(20_000);
    await client.setDataVersioned(
      "/dtabs/default",
      Buffer.from("/svc=>/#/io.l5d.serversets/after-restart"),
      -1,
    );
    assert.equal(await watch.line(1, 10_000), "/svc=>/#/io.l5d.serversets/after-restart");
  });

  it("honours authInfo and acls: another client without the credentials gets 403", async () => {
    const digest = createHash("sha1").update("alice:secret").digest("base64");
    const guarded = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage:
  kind: io.l5d.zk
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
  pathPrefix: /guarded
  authInfo: {scheme: digest, auth: "alice:secret"}
  acls: [{scheme: digest, id: "alice:${digest}", perms: crwda}]
interfaces:
- kind: io.l5d.httpController
  port: 0
`,
    );
    const stranger = await startNamerdWith(
      dir.path,
      `admin: {port: 0}
storage:
  kind: io.l5d.zk
  zkAddrs: [{host: 127.0.0.1, port: ${zk.port}}]
  pathPrefix: /guarded
interfaces:
- kind: io.l5d.httpController
  port: 0
`,
    );
    try {
      assert.equal(
        (await http(guarded.http, "PUT", "/api/1/dtabs/private", { headers: dtabText, body: "/a=>/b" }))
          .status,
        204,
      );
      assert.equal((await http(guarded.http, "GET", "/api/1/dtabs/private")).status, 200);
      assert.equal(
        (await http(stranger.http, "PUT", "/api/1/dtabs/private", { headers: dtabText, body: "/a=>/c" }))
          .status,
        403,
      );
      assert.equal((await http(stranger.http, "GET", "/api/1/dtabs/private")).status, 403);
    } finally {
      await guarded.stop();
      await stranger.stop();
    }
  });
});
