#!/bin/sh
# The browser journeys drive Debian's chromium. Install it when it is missing and we may
# (root with apt-get, as in CI); otherwise say loudly that the journeys will be skipped.
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser journeys..."
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/microcred-chromium.log 2>&1 \
     || { apt-get update -q >>/tmp/microcred-chromium.log 2>&1 && \
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>/tmp/microcred-chromium.log 2>&1; }; then
    echo "chromium installed."
    exit 0
  fi
  echo "!!! Could not install chromium (see /tmp/microcred-chromium.log)."
fi
echo "!!! /usr/bin/chromium is missing: the browser journeys (tests/browser) will be SKIPPED."
echo "!!! Install Debian's chromium package (apt-get install chromium) to run them."
exit 0
