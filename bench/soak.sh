#!/usr/bin/env bash
# soak.sh: a million radio reports through one gateway with an SMS trickle and
# alerts to live inboxes (bench/soak.py); RSS, descriptors, CPU and p99 per
# 100,000, and the CPU once the load stops. Exit 1 if a report was lost, the
# gateway died, or it used CPU when idle.
# Usage: bash bench/soak.sh [--n 1000000] [--chunk 100000] [--rate 2000] [--keep]
# Builds a Release build in build-bench/ (patrolgw, patrolctl, mqtt_bench) unless
# PATROL_BUILD is set.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${PATROL_BUILD:-}" ]; then
  export PATROL_BUILD="$ROOT/build-bench"
  echo "== build: Release in $PATROL_BUILD"
  cmake -S "$ROOT" -B "$PATROL_BUILD" -DCMAKE_BUILD_TYPE=Release -DPATROL_SANITIZE=OFF \
    -DPATROL_TESTS=OFF >/dev/null
  cmake --build "$PATROL_BUILD" --target patrolgw patrolctl mqtt_bench -j 2 >/dev/null
fi
export PATROL_SOURCE="$ROOT"
exec /usr/bin/python3 "$ROOT/bench/soak.py" "$@"
