#!/bin/sh
# Install a headless browser for the web tests (tests/test_web*.py):
# Debian's chromium + chromium-driver, and a CJK font so screenshots show Chinese.
# Idempotent and quiet: does nothing when everything is already there.
# Needs root (CI runs as root) or passwordless sudo.
set -eu

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -x /usr/bin/chromedriver ] || need="$need chromium-driver"
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    need="$need fonts-wqy-zenhei"
fi
[ -n "$need" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install_browser.sh: need root to install:$need" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $need >/dev/null
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]
