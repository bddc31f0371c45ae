#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (test/browser/), which drive it with
# playwright-core at /usr/bin/chromium; Playwright's own browser downloads are never used.
# Needs root (CI runs as root) or sudo. Does nothing when /usr/bin/chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get on this machine; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
/usr/bin/chromium --version
