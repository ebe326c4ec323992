#!/usr/bin/env bash
# sms_bench.sh: the SMS channel's figures (bench/README.md, "SMS channel").
# Usage: bash bench/sms_bench.sh [--n 1000] [--drain 1000] [--poll-ms 10]
# Builds a Release build in build-bench-sms/ (unless PATROL_BUILD is set), then runs
# bench/sms_bench.py: a real mosquitto on a free loopback port, patrolgw with
# libgammu's dummy modem in a temp dir (removed at the end).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${PATROL_BUILD:-}" ]; then
  export PATROL_BUILD="$ROOT/build-bench-sms"
  cmake -S "$ROOT" -B "$PATROL_BUILD" -DCMAKE_BUILD_TYPE=Release -DPATROL_SANITIZE=OFF \
    -DPATROL_TESTS=OFF >/dev/null
  cmake --build "$PATROL_BUILD" --target patrolgw patrolctl -j "$(nproc)" >/dev/null
fi
export PATROL_SOURCE="$ROOT"
exec /usr/bin/python3 "$ROOT/bench/sms_bench.py" "$@"
