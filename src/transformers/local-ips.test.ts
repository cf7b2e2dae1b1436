// Tests for this host's IPs: every interface address plus the host name's addresses, a failed name lookup tolerated.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { systemLocalIps } from "./local-ips.ts";
import { tableLookup } from "./testkit.ts";

const interfaces = () => ({
  lo: [{ address: "127.0.0.1" }, { address: "::1" }],
  eth0: [{ address: "10.0.0.5" }, { address: "fe80::5" }],
  down: undefined,
});

describe("systemLocalIps", () => {
  test("lists every interface's addresses and what the host name resolves to", async () => {
    const { lookup, calls } = tableLookup({ "box.example": ["192.168.1.5"] });
    const ips = await systemLocalIps({
      networkInterfaces: interfaces,
      hostname: () => "box.example",
      lookup,
    })();
    assert.deepEqual(ips, ["127.0.0.1", "::1", "10.0.0.5", "fe80::5", "192.168.1.5"]);
    assert.deepEqual(calls, ["box.example"]);
  });

  test("a host name that does not resolve leaves the interfaces' addresses", async () => {
    const { lookup } = tableLookup({});
    const ips = await systemLocalIps({ networkInterfaces: interfaces, hostname: () => "nowhere", lookup })();
    assert.deepEqual(ips, ["127.0.0.1", "::1", "10.0.0.5", "fe80::5"]);
  });
});
