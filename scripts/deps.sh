#!/usr/bin/env bash
# Installs the Debian 12 packages patrolgw needs to build, test and run the
# demo, and only those that are missing (no apt-get at all when none are).
set -euo pipefail

PACKAGES=(
  # build
  gcc make cmake pkg-config
  # libraries (DEVELOPERS.md: chosen dependencies)
  libmosquitto-dev libsqlite3-dev libinih-dev libcjson-dev
  # SHA-256 of the audit trail's hash chain (gateway/audit.c)
  libssl-dev
  # sd_notify for the systemd unit (gateway/notify.c)
  libsystemd-dev
  # e-mail (SMTP/SMTPS) and webhook (HTTPS) deliveries to partner inboxes (gateway/curlw.c)
  libcurl4-openssl-dev
  # the SMS channel: libgammu drives the GSM modem (its dummy driver in the tests)
  libgammu-dev
  # the duty dashboard: libmicrohttpd (HTTP/HTTPS server, GnuTLS) and libsodium
  # (argon2id password hashes, tokens); gateway/http.c, gateway/users.c
  libmicrohttpd-dev libsodium-dev
  # the Debian package (debian/, tests/integration/test_ops.py): dpkg-buildpackage,
  # lintian, and systemd-analyze to verify the unit
  debhelper dpkg-dev fakeroot lintian systemd
  # tests: unit tests, fuzzing, memory checks
  libcmocka-dev clang valgrind cppcheck clang-tidy
  # the real broker used by tests, benchmarks and the demo; sqlite3 for inspection
  mosquitto mosquitto-clients sqlite3
  # the openssl tool makes the dashboard's TLS test certificate
  openssl
  # integration tests run with Debian's Python and these packages
  python3 python3-paho-mqtt python3-pytest
  # the dashboard's browser test (tests/integration/test_dashboard_browser.py):
  # headless Chromium driven by chromedriver through Selenium
  chromium chromium-driver python3-selenium
  # a real SMTP server on loopback for the e-mail tests (tests/integration/inboxes.py)
  python3-aiosmtpd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
