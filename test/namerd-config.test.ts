// `trellis namerd CONFIG`: strict config loading (every problem at its key, exit 2, nothing started), stdin, signals.

import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { http } from "./support/namerd.ts";
import { runTrellis, startTrellis, tempDir, writeConfig } from "./support/proxy-harness.ts";

const iface = "interfaces:\n- kind: io.l5d.httpController\n  port: 0\n";

describe("trellis namerd: config", () => {
  const dir = tempDir("trellis-namerd-config-");
  after(() => dir.cleanup());

  /** Runs namerd on `text`, killing it if it ever says it listens; it must refuse with exit status 2. */
  async function refused(text: string): Promise<string> {
    const r = await runTrellis(["namerd", writeConfig(dir.path, text)], { killWhen: /listening/ });
    assert.equal(r.code, 2, `expected exit 2, got ${r.code ?? r.signal}:\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, "", "nothing started");
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    return r.stderr;
  }

  it("names every problem at its key", async () => {
    const err = await refused(
      `admin: {port: 9991, colour: blue}
storage: {kind: io.l5d.inMemory, namespaces: {default: "/svc =>"}}
interfaces:
- kind: io.l5d.httpController
  port: "40o1"
- kind: io.l5d.httpControler
`,
    );
    assert.match(err, /invalid config:/);
    assert.match(err, /admin\.colour: unknown key/);
    assert.match(err, /storage\.namespaces\.default: invalid dtab: expected/);
    assert.match(err, /interfaces\[0\]\.port: expected an integer, got "40o1"/);
    assert.match(
      err,
      /interfaces\[1\]\.kind: unknown interface kind "io\.l5d\.httpControler" \(known: .*io\.l5d\.httpController/,
    );
  });

  it("requires at least one interface, as namerd, and checks each storage kind's keys", async () => {
    const none = await refused("storage: {kind: io.l5d.etcd}\n");
    assert.match(none, /interfaces: missing \(this key is required\)/);
    assert.match(
      none,
      /storage\.kind: unknown storage kind "io\.l5d\.etcd" \(known: io\.l5d\.inMemory, io\.l5d\.zk, io\.trellis\.durable\)/,
    );
    const empty = await refused(
      "storage: {kind: io.l5d.zk, acls: [{scheme: world, id: anyone, perms: rwx}]}\ninterfaces: []\n",
    );
    assert.match(empty, /interfaces: at least one interface is required/);
    assert.match(empty, /storage\.zkAddrs: missing/);
    assert.match(empty, /storage\.acls\[0\]\.perms: expected permissions from c r w d a/);
  });

  it("refuses overlapping namer prefixes and two listeners on one port, as namerd", async () => {
    const err = await refused(
      `admin: {port: 7001}
namers:
- {kind: io.l5d.fs, rootDir: /tmp, prefix: /disco}
- {kind: io.l5d.fs, rootDir: /tmp, prefix: /disco/more}
interfaces:
- {kind: io.l5d.httpController, port: 7001}
`,
    );
    assert.match(
      err,
      /namers\[1\]\.prefix: namers must not have overlapping prefixes: \/disco \(namers\[0\]\) & \/disco\/more/,
    );
    assert.match(err, /interfaces\[0\]: 127\.0\.0\.1:7001 is already used by admin/);
  });

  it("says how to call it", async () => {
    const r = await runTrellis(["namerd"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected one CONFIG argument/);
    const help = await runTrellis(["namerd", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: trellis namerd CONFIG/);
  });

  it("reads the config from standard input with -, binds loopback by default, and stops on SIGTERM", async () => {
    const n = await startTrellis(["namerd", "-"], {
      stdin: `admin: {port: 0}\nstorage: {kind: io.l5d.inMemory, namespaces: {default: /a=>/b}}\n${iface}`,
    });
    const line = n.lines.find((l) => /httpController listening/.test(l)) as string;
    assert.match(line, /on 127\.0\.0\.1:\d+$/);
    const port = Number(/:(\d+)$/.exec(line)?.[1]);
    assert.equal((await http(port, "GET", "/api/1/dtabs")).body, '["default"]\n');
    const exit = await n.stop();
    assert.equal(exit.code, 0);
  });

  it("keeps dtabs in the durable store beside the config file when the config names no storage", async () => {
    const sub = join(dir.path, "site");
    mkdirSync(sub);
    const n = await startTrellis(["namerd", writeConfig(sub, `admin: {port: 0}\n${iface}`, "namerd.yaml")]);
    try {
      assert.ok(
        n.lines.includes(`trellis: storage io.trellis.durable at ${join(sub, "namerd-data", "dtabs.json")}`),
        n.lines.join("\n"),
      );
    } finally {
      await n.stop();
    }
  });

  it("exits 1 with the reason when a port is taken, leaving nothing listening", async () => {
    const blocker = createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const taken = (blocker.address() as { port: number }).port;
    try {
      const r = await runTrellis([
        "namerd",
        writeConfig(
          dir.path,
          `admin: {port: 0}\nstorage: {kind: io.l5d.inMemory}\ninterfaces:\n- {kind: io.l5d.httpController, port: ${taken}}\n`,
        ),
      ]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `io\\.l5d\\.httpController cannot listen on 127\\.0\\.0\\.1:${taken}: the address is already in use`,
        ),
      );
      assert.doesNotMatch(r.stdout, /admin listening/);
    } finally {
      blocker.close();
    }
  });
});
