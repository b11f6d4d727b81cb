#!/usr/bin/env bash
# Install a Java runtime (Debian's openjdk-17-jre-headless) for the Spark tests and appendix C
# when `java` is missing or older than 17 (Spark 4 needs 17+). Used by `make test` and
# .ci/run; needs root and apt-get, otherwise it only explains.
set -u
java_major() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9.]*\).*/\1/p' | head -1)
  [ -z "$v" ] && { echo 0; return; }
  case "$v" in
    1.*) echo "$v" | cut -d. -f2 ;;
    *) echo "$v" | cut -d. -f1 ;;
  esac
}
if command -v java >/dev/null 2>&1 && [ "$(java_major)" -ge 17 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing openjdk-17-jre-headless (Debian package) for Apache Spark =="
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
else
  echo "note: Java 17 or later is missing and cannot be installed here (needs root and apt-get);"
  echo "      the Spark tests will be skipped. Install a Java 17+ runtime to run them."
fi
exit 0
