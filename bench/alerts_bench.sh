#!/usr/bin/env bash
# alerts_bench.sh: report-in to alert-out latency on MQTT, e-mail and webhook
# partners, with and without a dead partner webhook (bench/README.md, "Partner alerts").
# Usage: bash bench/alerts_bench.sh [--seconds 20] [--rounds 3] [--phases healthy,refused,hang]
#                                   [--rate 1000] [--parallel N] [--keep] [--strict]
# Builds a Release build in build-bench/ (the same options as run.sh; PATROL_BUILD
# overrides, and then nothing is built), then runs bench/alerts_bench.py with Debian's
# /usr/bin/python3 (python3-paho-mqtt, python3-aiosmtpd: scripts/deps.sh). It starts its
# own mosquitto on a free loopback port, its inboxes and each phase's patrolgw in a temp
# dir, and stops and removes all of it at the end, also on Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${PATROL_BUILD:-}" ]; then
  export PATROL_BUILD="$ROOT/build-bench"
  echo "== build: Release in $PATROL_BUILD"
  cmake -S "$ROOT" -B "$PATROL_BUILD" -DCMAKE_BUILD_TYPE=Release -DPATROL_SANITIZE=OFF \
    -DPATROL_TESTS=OFF >/dev/null
  cmake --build "$PATROL_BUILD" --target patrolgw -j 2 >/dev/null
fi
export PATROL_SOURCE="$ROOT"
exec /usr/bin/python3 "$ROOT/bench/alerts_bench.py" "$@"
