#!/bin/sh
# Makes sure Debian's dnsmasq is there for the io.l5d.dnssrv tests: installs dnsmasq-base when it is missing and we are root.
#
# dnsmasq-base is the program alone (no system service is started). Exits 0 when dnsmasq is installed (already, or
# now), and also when it is missing but cannot be installed here (not root, or no apt-get): the DNS tests are then
# skipped, each saying why. Exits 1 only when apt-get was tried as root and failed.

set -u

PATH="$PATH:/usr/sbin:/sbin"
HOW="apt-get update && apt-get install -y dnsmasq-base   (as root; Debian's dnsmasq, the program only)"

version() {
  dpkg-query -W -f='${Version}' dnsmasq-base 2>/dev/null || echo "version unknown"
}

if command -v dnsmasq >/dev/null 2>&1; then
  echo "ensure-dnsmasq: dnsmasq is installed ($(command -v dnsmasq), package dnsmasq-base $(version))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-dnsmasq: dnsmasq is not installed and this is not root, so the io.l5d.dnssrv tests will be skipped."
  echo "ensure-dnsmasq: to run them, install it: sudo sh -c '$HOW'"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-dnsmasq: dnsmasq is not installed and there is no apt-get here, so the io.l5d.dnssrv tests will be skipped."
  echo "ensure-dnsmasq: to run them, install dnsmasq so that it is on PATH or in /usr/sbin."
  exit 0
fi

echo "ensure-dnsmasq: dnsmasq is not installed; installing Debian's dnsmasq-base package: $HOW"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq dnsmasq-base >/dev/null 2>&1; then
  # The package lists may be missing or stale.
  if ! apt-get update -qq; then
    echo "ensure-dnsmasq: apt-get update failed" >&2
    exit 1
  fi
  if ! apt-get install -y -qq dnsmasq-base >/dev/null; then
    echo "ensure-dnsmasq: apt-get install -y dnsmasq-base failed" >&2
    exit 1
  fi
fi
if ! command -v dnsmasq >/dev/null 2>&1; then
  echo "ensure-dnsmasq: the dnsmasq-base package is installed but dnsmasq is still missing" >&2
  exit 1
fi
echo "ensure-dnsmasq: installed dnsmasq (package dnsmasq-base $(version))"
exit 0
