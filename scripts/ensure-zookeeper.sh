#!/bin/sh
# Makes sure Debian's ZooKeeper is there for the tests: installs the zookeeper package when it is missing and we are root.
#
# Exits 0 when ZooKeeper is installed (already, or now), and also when it is missing but cannot be installed here (not
# root, or no apt-get): the ZooKeeper tests are then skipped, each saying why. Exits 1 only when apt-get was tried
# as root and failed.

set -u

JAR=/usr/share/java/zookeeper.jar
HOW="apt-get update && apt-get install -y zookeeper   (as root; Debian's ZooKeeper 3.8, which needs Java 17)"

installed() {
  [ -f "$JAR" ] && command -v java >/dev/null 2>&1
}

version() {
  dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo "version unknown"
}

if installed; then
  echo "ensure-zookeeper: ZooKeeper is installed ($JAR, package zookeeper $(version))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-zookeeper: ZooKeeper is not installed and this is not root, so the ZooKeeper tests will be skipped."
  echo "ensure-zookeeper: to run them, install it: sudo sh -c '$HOW'"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-zookeeper: ZooKeeper is not installed and there is no apt-get here, so the ZooKeeper tests will be skipped."
  echo "ensure-zookeeper: to run them, install ZooKeeper 3.8 so that $JAR exists, and Java."
  exit 0
fi

echo "ensure-zookeeper: ZooKeeper is not installed; installing Debian's zookeeper package: $HOW"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
  echo "ensure-zookeeper: apt-get update failed" >&2
  exit 1
fi
if ! apt-get install -y -qq zookeeper >/dev/null; then
  echo "ensure-zookeeper: apt-get install -y zookeeper failed" >&2
  exit 1
fi
if ! installed; then
  echo "ensure-zookeeper: the zookeeper package is installed but $JAR or java is still missing" >&2
  exit 1
fi
echo "ensure-zookeeper: installed ZooKeeper (package zookeeper $(version))"
exit 0
