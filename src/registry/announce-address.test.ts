// Tests of the host a wildcard-bound server announces.

import assert from "node:assert/strict";
import type { NetworkInterfaceInfo } from "node:os";
import { describe, it } from "node:test";
import { announcedHost, type Interfaces } from "./announce-address.ts";

function iface(address: string, family: "IPv4" | "IPv6", internal = false): NetworkInterfaceInfo {
  const common = { address, netmask: "", mac: "00:00:00:00:00:00", internal, cidr: null };
  return family === "IPv4" ? { ...common, family } : { ...common, family, scopeid: 0 };
}

describe("announcedHost", () => {
  const machine: Interfaces = {
    lo: [iface("127.0.0.1", "IPv4", true), iface("::1", "IPv6", true)],
    eth0: [iface("fe80::1", "IPv6"), iface("2001:db8::5", "IPv6"), iface("10.1.2.3", "IPv4")],
    eth1: [iface("10.9.9.9", "IPv4")],
  };

  it("announces a specific address or name as it is", () => {
    assert.equal(announcedHost("127.0.0.1", machine), "127.0.0.1");
    assert.equal(announcedHost("192.0.2.7", machine), "192.0.2.7");
    assert.equal(announcedHost("pong.local", machine), "pong.local");
  });

  it("replaces a wildcard by the first IPv4 address that is not loopback", () => {
    assert.equal(announcedHost("0.0.0.0", machine), "10.1.2.3");
    assert.equal(announcedHost("::", machine), "10.1.2.3");
  });

  it("falls back to a global IPv6 address for ::, then to 127.0.0.1", () => {
    const v6only: Interfaces = {
      lo: machine.lo,
      eth0: [iface("fe80::1", "IPv6"), iface("2001:db8::5", "IPv6")],
    };
    assert.equal(announcedHost("::", v6only), "2001:db8::5");
    assert.equal(announcedHost("0.0.0.0", v6only), "127.0.0.1");
    assert.equal(announcedHost("0.0.0.0", { lo: machine.lo }), "127.0.0.1");
  });
});
