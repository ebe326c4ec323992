#!/usr/bin/env bash
# Installs the Debian 12 packages patrolgw needs, by purpose, and only those that
# are missing (no apt-get at all when none are). Works on a minbase Debian 12.
#
# Usage: scripts/deps.sh [GROUP...]      (default: all)
#   build    compiler, cmake and the libraries: enough for scripts/build.sh --bin
#   runtime  what the demo and the README's "Running it" need beside the binaries
#            (Python with paho-mqtt for the demo's radio bridge, the sqlite3 tool)
#   broker   mosquitto and its command-line clients
#   demo     = build runtime broker (what scripts/demo.sh installs)
#   test     unit, integration, browser and e-mail tests, fuzzing, memory and
#            static checks
#   package  the Debian package and its checks (dpkg-buildpackage, lintian,
#            systemd-analyze)
#   all      every group (what scripts/test.sh installs)
set -euo pipefail

BUILD=(
  # build-essential: dpkg-buildpackage insists on it, and on minbase it is what
  # brings libc6-dev (gcc only recommends it)
  build-essential gcc make cmake pkg-config
  # libraries (DEVELOPERS.md: chosen dependencies)
  libmosquitto-dev libsqlite3-dev libinih-dev libcjson-dev
  # SHA-256 of the audit trail's hash chain (gateway/audit.c)
  libssl-dev
  # sd_notify for the systemd unit (gateway/notify.c)
  libsystemd-dev
  # e-mail (SMTP/SMTPS) and webhook (HTTPS) deliveries to partner inboxes (gateway/curlw.c)
  libcurl4-openssl-dev
  # the SMS channel: libgammu drives the GSM modem (its dummy driver in the demo and tests)
  libgammu-dev
  # the duty dashboard: libmicrohttpd (HTTP/HTTPS server, GnuTLS) and libsodium
  # (argon2id password hashes, tokens); gateway/http.c, gateway/users.c
  libmicrohttpd-dev libsodium-dev
)
RUNTIME=(
  # the demo's radio bridge (scripts/demo_bridge.py) and the integration tests
  # run with Debian's Python and paho-mqtt; sqlite3 for inspecting the store
  python3 python3-paho-mqtt sqlite3
)
BROKER=(
  # the real broker used by the demo, tests and benchmarks, and its clients
  mosquitto mosquitto-clients
)
TEST=(
  # unit tests, fuzzing, memory and static checks
  libcmocka-dev clang valgrind cppcheck clang-tidy
  # the integration tests
  python3-pytest
  # the openssl tool makes the dashboard's TLS test certificate
  openssl
  # the dashboard's browser test (tests/integration/test_dashboard_browser.py):
  # headless Chromium driven by chromedriver through Selenium
  chromium chromium-driver python3-selenium
  # a real SMTP server on loopback for the e-mail tests (tests/integration/inboxes.py)
  python3-aiosmtpd
)
PACKAGE=(
  # the Debian package (debian/, tests/integration/test_ops.py): dpkg-buildpackage,
  # lintian, and systemd-analyze to verify the unit
  debhelper dpkg-dev fakeroot lintian systemd
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(all)
PACKAGES=()
for g in "${groups[@]}"; do
  case "$g" in
    build) PACKAGES+=("${BUILD[@]}") ;;
    runtime) PACKAGES+=("${RUNTIME[@]}") ;;
    broker) PACKAGES+=("${BROKER[@]}") ;;
    demo) PACKAGES+=("${BUILD[@]}" "${RUNTIME[@]}" "${BROKER[@]}") ;;
    test) PACKAGES+=("${TEST[@]}") ;;
    package) PACKAGES+=("${PACKAGE[@]}") ;;
    all) PACKAGES+=("${BUILD[@]}" "${RUNTIME[@]}" "${BROKER[@]}" "${TEST[@]}" "${PACKAGE[@]}") ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "deps.sh: unknown group: $g (try --help)" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    case " ${missing[*]-} " in *" $p "*) ;; *) missing+=("$p") ;; esac
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${#missing[@]} package(s) (${groups[*]}): ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
# apt's own output goes to a log, shown only when it fails.
LOG=$(mktemp "${TMPDIR:-/tmp}/patrolgw-deps.XXXXXX.log")
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$LOG" 2>&1; then
  tail -n 30 "$LOG" >&2
  echo "deps: apt-get failed (full log: $LOG)" >&2
  exit 1
fi
rm -f "$LOG"
echo "deps: done in $(( $(date +%s) - start ))s"
