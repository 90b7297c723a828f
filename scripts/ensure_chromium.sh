#!/usr/bin/env bash
# Browser tests drive Debian's headless Chromium; install it when it is missing and we may (root + apt).
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser tests" >&2
  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }) \
    || echo "could not install chromium; browser tests will fail under CI" >&2
else
  echo "chromium is missing and cannot be installed here (need root + apt-get)" >&2
fi
exit 0
