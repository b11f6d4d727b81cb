#!/usr/bin/env bash
# Install Debian's Chromium, its driver and a CJK font for the render check when missing.
# Used by `make test` and .ci/run; needs root and apt-get, otherwise it only explains.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${need[*]} (Debian packages) for the render check =="
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: ${need[*]} missing and cannot be installed here (needs root and apt-get);"
  echo "      the render check will be skipped. Install them to run it."
fi
exit 0
